package bot

import (
	"context"
	"time"
)

// cursorTime reads a named cursor that holds a time (how far a poller, a
// reconciliation or the sweep has got); zero when it was never set, or
// holds something this version did not write.
func (b *Bot) cursorTime(ctx context.Context, name string) (time.Time, error) {
	v, err := b.Store.Cursor(ctx, name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, nil
	}
	return t, nil
}

// setCursorTime sets a named cursor to t.
func (b *Bot) setCursorTime(ctx context.Context, name string, t time.Time) error {
	return b.Store.SetCursor(ctx, name, t.UTC().Format(time.RFC3339Nano))
}
