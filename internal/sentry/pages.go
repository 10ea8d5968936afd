package sentry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxPages bounds how many pages a list reads: 100 pages of Sentry's 100.
const maxPages = 100

// eachPage is how the client reads Sentry's lists, in one place. It GETs
// path with query, decodes the page into a []T and hands it to page,
// then does the same for every further page Sentry announces, until page
// says it has seen enough (more false; no further request is sent).
//
// Sentry announces a further page in the Link header as the rel="next"
// link with results="true"; the client asks for it with that link's
// cursor on its own base URL, query unchanged but for the cursor (it does
// not follow the link's host, which a self-hosted Sentry may get wrong,
// and which would then receive the token). A cursor seen twice, or more
// than maxPages pages, is an error. Errors name op.
func eachPage[T any](ctx context.Context, c *Client, op, path string, query url.Values, page func([]T) (more bool, err error)) error {
	seen := map[string]bool{}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for n := 1; ; n++ {
		var batch []T
		h, err := c.do(ctx, op, http.MethodGet, path, q, nil, &batch)
		if err != nil {
			return err
		}
		if more, err := page(batch); err != nil || !more {
			return err
		}
		cursor, more := nextCursor(strings.Join(h.Values("Link"), ", "))
		switch {
		case !more:
			return nil
		case seen[cursor]:
			return fmt.Errorf("sentry: %s: pagination returned cursor %q twice", op, cursor)
		case n >= maxPages:
			return fmt.Errorf("sentry: %s: more than %d pages", op, maxPages)
		}
		seen[cursor] = true
		q.Set("cursor", cursor)
	}
}
