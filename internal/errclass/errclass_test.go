package errclass

import (
	"testing"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/scrub"
)

// ex builds an alert as the webhook decoder fills it for an event.
func ex(typ, value, mechanism, platform string, tags ...alert.Tag) *alert.Alert {
	title := value
	if typ != "" {
		title = typ + ": " + value
	}
	return &alert.Alert{ExceptionType: typ, ExceptionValue: value, Title: title, Mechanism: mechanism, Platform: platform, Tags: tags}
}

type ofCase struct {
	name string
	a    *alert.Alert
	want Class
}

var ofCases = []ofCase{
	// Network.
	{"chrome fetch", ex("TypeError", "Failed to fetch", "onunhandledrejection", "javascript"), Network},
	{"chrome fetch with host", ex("TypeError", "Failed to fetch (api.example.com)", "generic", "javascript"), Network},
	{"firefox fetch", ex("TypeError", "NetworkError when attempting to fetch resource.", "onunhandledrejection", "javascript"), Network},
	{"safari fetch", ex("TypeError", "Load failed", "onunhandledrejection", "javascript"), Network},
	{"safari offline", ex("TypeError", "The Internet connection appears to be offline.", "generic", "javascript"), Network},
	{"react native", ex("TypeError", "Network request failed", "onunhandledrejection", "react-native"), Network},
	{"axios", ex("AxiosError", "Network Error", "onunhandledrejection", "javascript"), Network},
	{"axios timeout", ex("AxiosError", "timeout of 10000ms exceeded", "generic", "javascript"), Network},
	{"node refused", ex("Error", "connect ECONNREFUSED 127.0.0.1:5432", "onunhandledrejection", "node"), Network},
	{"node reset", ex("Error", "read ECONNRESET", "onuncaughtexception", "node"), Network},
	{"node timeout", ex("Error", "connect ETIMEDOUT 10.0.0.8:443", "generic", "node"), Network},
	{"node dns", ex("Error", "getaddrinfo ENOTFOUND api.example.com", "generic", "node"), Network},
	{"node hang up", ex("Error", "socket hang up", "generic", "node"), Network},
	{"go dial", ex("*net.OpError", "dial tcp 10.0.0.5:5432: connect: connection refused", "generic", "go"), Network},
	{"go http deadline", ex("*url.Error", `Get "https://api.example.com/v1/orders": context deadline exceeded`, "generic", "go"), Network},
	{"go client timeout", ex("*url.Error", `Post "https://api.example.com/v1": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, "", "go"), Network},
	{"go no such host", ex("*net.DNSError", "lookup api.example.com on 10.0.0.2:53: no such host", "", "go"), Network},
	{"go reset", ex("*errors.errorString", "read tcp 10.0.0.1:443->10.0.0.2:5555: read: connection reset by peer", "", "go"), Network},
	{"chrome net err", ex("Error", "net::ERR_CONNECTION_CLOSED", "", "javascript"), Network},
	{"issue webhook title only", &alert.Alert{Title: "TypeError: Failed to fetch"}, Network},
	{"safari connection lost", ex("TypeError", "The network connection was lost.", "generic", "javascript"), Network},
	{"axios error naming the network", ex("AxiosError", "Request failed: network down", "generic", "javascript"), Network},
	{"axios network error as a plain error", ex("Error", "Network Error", "", "javascript"), Network},
	{"axios timeout without a type", ex("", "timeout of 5000ms exceeded", "", "javascript"), Network},
	{"net/http deadline", ex("*errors.errorString", "net/http: request canceled: context deadline exceeded", "", "go"), Network},

	// Unhandled rejection.
	{"non-error rejection", ex("UnhandledRejection", "Non-Error promise rejection captured with value: undefined", "onunhandledrejection", "javascript"), UnhandledRejection},
	{"non-error rejection, keys", ex("Error", "Non-Error promise rejection captured with keys: code, message", "onunhandledrejection", "javascript"), UnhandledRejection},
	{"rejection mechanism", ex("TypeError", "Cannot read properties of undefined (reading 'id')", "onunhandledrejection", "javascript"), UnhandledRejection},
	{"sdk v8 mechanism", ex("Error", "boom", "auto.browser.global_handlers.onunhandledrejection", "javascript"), UnhandledRejection},
	{"node mechanism", ex("Error", "boom", "auto.node.onunhandledrejection", "node"), UnhandledRejection},
	{"mechanism tag only", ex("Error", "boom", "", "javascript", alert.Tag{Key: "mechanism", Value: "onunhandledrejection"}), UnhandledRejection},

	// Render.
	{"minified react", ex("Error", "Minified React error #185; visit https://reactjs.org/docs/error-decoder.html?invariant=185 for the full message", "onerror", "javascript"), Render},
	{"react component", ex("TypeError", "Cannot read properties of null (reading 'name')\n\nThe above error occurred in the <UserCard> component:\n    at UserCard", "generic", "javascript"), Render},
	{"react error boundary", ex("TypeError", "Cannot read properties of undefined (reading 'map')", "auto.function.react.error_boundary", "javascript"), Render},
	{"react mechanism", ex("TypeError", "x is not a function", "react", "javascript"), Render},
	{"hydration", ex("Error", "Hydration failed because the initial UI does not match what was rendered on the server.", "onerror", "javascript"), Render},
	{"update depth", ex("Error", "Maximum update depth exceeded. This can happen when a component repeatedly calls setState", "onerror", "javascript"), Render},
	{"vue render", ex("TypeError", `Error in render: "TypeError: Cannot read properties of undefined (reading 'title')"`, "generic", "javascript"), Render},
	{"vue mounted", ex("Error", `Error in mounted hook: "Error: boom"`, "generic", "javascript"), Render},
	{"vue mechanism", ex("TypeError", "Cannot read properties of undefined (reading 'length')", "vue", "javascript"), Render},
	{"vue sdk mechanism", ex("TypeError", "t is undefined", "auto.function.vue.error_handler", "javascript"), Render},
	{"vue hook tag", ex("TypeError", "t is undefined", "generic", "javascript", alert.Tag{Key: "lifecycleHook", Value: "mounted"}), Render},
	{"vue tag", ex("TypeError", "t is undefined", "generic", "javascript", alert.Tag{Key: "vue", Value: "beforeMount"}), Render},
	{"vue tag naming render", ex("TypeError", "t is undefined", "generic", "javascript", alert.Tag{Key: "vue", Value: "render function"}), Render},

	// Script load or CSP.
	{"chunk load error", ex("ChunkLoadError", "Loading chunk 732 failed.\n(error: https://cdn.example.com/static/js/732.chunk.js)", "onunhandledrejection", "javascript"), ScriptLoad},
	{"css chunk", ex("Error", "Loading CSS chunk 12 failed.\n(/static/css/12.css)", "onunhandledrejection", "javascript"), ScriptLoad},
	{"vite dynamic import", ex("TypeError", "Failed to fetch dynamically imported module: https://app.example.com/assets/index-4f2a.js", "onunhandledrejection", "javascript"), ScriptLoad},
	{"safari module", ex("TypeError", "Importing a module script failed.", "onunhandledrejection", "javascript"), ScriptLoad},
	{"firefox module", ex("TypeError", "error loading dynamically imported module", "onunhandledrejection", "javascript"), ScriptLoad},
	{"load script", ex("Error", "Failed to load script: https://js.stripe.com/v3", "generic", "javascript"), ScriptLoad},
	{"script error", ex("Error", "Script error.", "onerror", "javascript"), ScriptLoad},
	{"script error title", &alert.Alert{Title: "Script error."}, ScriptLoad},
	{"csp message", ex("Error", "Refused to load the script 'https://evil.example.com/x.js' because it violates the following Content Security Policy directive: \"script-src 'self'\".", "", "javascript"), ScriptLoad},
	{"csp platform", &alert.Alert{Title: "Blocked 'script' from 'evil.example.com'", Platform: "csp"}, ScriptLoad},
	{"csp type", &alert.Alert{ExceptionType: "csp", Title: "Blocked 'inline' from 'self'"}, ScriptLoad},
	{"csp title", &alert.Alert{Title: "Blocked 'image' from 'tracker.example.com'"}, ScriptLoad},

	// Panic.
	{"go panic mechanism", ex("*errors.errorString", "something broke", "go.panic", "go"), Panic},
	{"go panic text", ex("*errors.errorString", "panic: assignment to entry in nil map", "generic", "go"), Panic},
	{"go type assertion", ex("*runtime.TypeAssertionError", "interface conversion: interface {} is string, not int", "generic", "go"), Panic},
	{"go runtime error", ex("runtime.Error", "runtime error: invalid memory address or nil pointer dereference", "generic", "go"), Panic},
	{"go bounds", ex("runtime.boundsError", "runtime error: index out of range [5] with length 3", "", "go"), Panic},
	{"go fatal", ex("", "fatal error: concurrent map writes", "", "go"), Panic},
	{"wasm unreachable", ex("RuntimeError", "unreachable", "onerror", "javascript"), Panic},
	{"wasm unreachable executed", ex("RuntimeError", "unreachable executed", "onunhandledrejection", "javascript"), Panic},
	{"wasm nested", ex("Error", "RuntimeError: unreachable", "generic", "javascript"), Panic},
	{"wasm oob", ex("RuntimeError", "memory access out of bounds", "onerror", "javascript"), Panic},

	// Other.
	{"reference error", ex("ReferenceError", "heck is not defined", "onerror", "javascript"), Other},
	{"type error", ex("TypeError", "Cannot read properties of undefined (reading 'map')", "onerror", "javascript"), Other},
	{"go deadline not http", ex("*errors.errorString", "context deadline exceeded", "generic", "go"), Other},
	{"recipe is no EPIPE", ex("Error", "recipe not found", "generic", "node"), Other},
	{"python", ex("KeyError", "'user_id'", "generic", "python"), Other},
	{"go error", ex("*errors.errorString", "order 42 not found", "", "go"), Other},
	{"rangeerror", ex("RangeError", "Maximum call stack size exceeded", "onerror", "javascript"), Other},
	{"not a wasm trap", ex("RuntimeError", "something else", "generic", "javascript"), Other},
	{"network error of a TypeError is no axios error", ex("TypeError", "Network Error", "onerror", "javascript"), Other},
	{"empty lifecycle hook tag", ex("TypeError", "t is undefined", "generic", "javascript", alert.Tag{Key: "lifecycleHook", Value: ""}), Other},
	{"vue tag naming a version", ex("TypeError", "t is undefined", "generic", "javascript", alert.Tag{Key: "vue", Value: "3.4.0"}), Other},
	{"empty", &alert.Alert{}, Other},
	{"nil", nil, Other},

	// Precedence.
	{"panic beats network", ex("*net.OpError", "panic: dial tcp 10.0.0.5:5432: connect: connection refused", "go.panic", "go"), Panic},
	{"chunk beats network and rejection", ex("ChunkLoadError", "Loading chunk 5 failed. (timeout: https://cdn.example.com/5.js)", "onunhandledrejection", "javascript"), ScriptLoad},
	{"network beats render", ex("TypeError", "Failed to fetch", "auto.function.react.error_boundary", "javascript"), Network},
	{"render beats rejection", ex("Error", "Minified React error #418", "onunhandledrejection", "javascript"), Render},
}

func TestOf(t *testing.T) {
	for _, tt := range ofCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.a); got != tt.want {
				t.Errorf("Of = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestOfScrubbed: the bot classifies the scrubbed alert, so scrubbing
// (IPs, hosts, e-mails in messages) must not change the class.
func TestOfScrubbed(t *testing.T) {
	s, err := scrub.New(scrub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ofCases {
		if tt.a == nil {
			continue
		}
		cp := *tt.a
		s.Alert(&cp)
		if got := Of(&cp); got != tt.want {
			t.Errorf("%s: scrubbed %q: Of = %s, want %s", tt.name, cp.ExceptionValue, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	for c, want := range map[Class]string{
		Network:            "error-network",
		UnhandledRejection: "error-unhandled-rejection",
		Render:             "error-render",
		ScriptLoad:         "error-script-load",
		Panic:              "error-panic",
		Other:              "error-other",
		"":                 "error-other",
	} {
		if got := c.Label(); got != want {
			t.Errorf("%q.Label() = %q, want %q", c, got, want)
		}
	}
}
