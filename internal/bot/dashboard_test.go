package bot

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/botconfig"
)

// keeper is a dashboard that records how it was asked to keep fresh.
type keeper struct {
	http.Handler
	every []time.Duration
}

func (k *keeper) KeepFresh(_ context.Context, every time.Duration) { k.every = append(k.every, every) }

// The bot keeps its dashboard fresh every dashboard.keep_fresh, and not
// at all when that is 0.
func TestTheBotKeepsItsDashboardFreshAsConfigured(t *testing.T) {
	for _, tt := range []struct {
		keep botconfig.Duration
		want []time.Duration
	}{
		{botconfig.Duration(5 * time.Minute), []time.Duration{5 * time.Minute}},
		{0, nil},
	} {
		k := &keeper{}
		cfg := botconfig.Default()
		cfg.Dashboard.KeepFresh = tt.keep
		b := &Bot{Deps: Deps{Config: cfg, Dashboard: k}}
		b.keepDashboardFresh(t.Context())
		if len(k.every) != len(tt.want) || (len(tt.want) > 0 && k.every[0] != tt.want[0]) {
			t.Errorf("keep_fresh %s: KeepFresh called with %v, want %v", tt.keep.D(), k.every, tt.want)
		}
	}
}
