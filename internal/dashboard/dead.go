package dashboard

import (
	"net/http"

	"github.com/fixproof/fixproof/internal/store"
)

// deadShown is how many dead letters the page lists, the latest first.
const deadShown = 200

type deadPage struct {
	Title     string
	Refresh   int // 0: the page does not reload itself
	Dead      []store.DeadJob
	Available bool
	More      bool // there may be more than deadShown
}

// dead lists the deliveries that failed for good, with the error each
// last failed with, and says how to put them back in the queue. The
// payloads are not shown: they are the alerts as received, before
// personal data is scrubbed.
func (d *Dashboard) dead(w http.ResponseWriter, r *http.Request) {
	p := deadPage{Title: "fixproof: dead letters", Available: d.cfg.Dead != nil}
	if d.cfg.Dead != nil {
		dead, err := d.cfg.Dead.Dead(r.Context(), deadShown)
		if err != nil {
			d.cfg.Log.Warn("dashboard: read the dead letters", "error", err.Error())
			d.problem(w, http.StatusServiceUnavailable, "The store did not answer", "Could not read the dead letters from the bot's store: "+err.Error())
			return
		}
		p.Dead, p.More = dead, len(dead) == deadShown
	}
	d.render(w, http.StatusOK, "dead", p)
}
