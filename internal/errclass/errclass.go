// Package errclass sorts an alert's error into a few classes that decide
// how fixproof files it (a Jira label, the triage hints). It is pure and
// looks only at the exception type and value, the title, the mechanism,
// the platform and the tags.
//
// The classes are tried in this order; the first that matches wins:
//
//  1. Panic: the process (or WASM module) crashed, whatever the message
//     says: Go panics (mechanism go.panic, "panic: ...", "fatal error:
//     ...", runtime error types such as *runtime.TypeAssertionError or
//     runtime.Error, "runtime error: ..." values) and WebAssembly traps
//     (RuntimeError: unreachable, memory access out of bounds). First, as
//     a crash matters more than what caused it.
//  2. ScriptLoad: a script, chunk or module failed to load, or the browser
//     blocked it: ChunkLoadError, "Loading chunk X failed", "Loading CSS
//     chunk X failed", "Failed to fetch dynamically imported module",
//     "Importing a module script failed", "Failed to load script",
//     "Script error." (an error in a cross-origin script, which the browser
//     hides), CSP violations ("Refused to ... because it violates the
//     following Content Security Policy directive", platform or type csp,
//     Sentry's "Blocked 'script' from ..." titles). Before Network, because
//     these messages look like network failures ("Failed to fetch ...")
//     but are about code delivery.
//  3. Network: a request failed below HTTP: fetch's "Failed to fetch"
//     (Chrome), "NetworkError when attempting to fetch resource" (Firefox),
//     "Load failed" (Safari), "Network request failed" (React Native),
//     axios "Network Error" and "timeout of Nms exceeded", Node's
//     ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EAI_AGAIN,
//     EHOSTUNREACH, "socket hang up", Go's "dial tcp ...", "connection
//     refused", "connection reset by peer", "i/o timeout", "no such host",
//     "TLS handshake timeout", and "context deadline exceeded" when it
//     concerns an HTTP request (an http(s) URL in the message, a *url.Error,
//     or Client.Timeout). Before Render and UnhandledRejection: a fetch that
//     fails inside a component or a rejected promise is still a network
//     failure.
//  4. Render: a UI framework's render or lifecycle error: React ("Minified
//     React error #", "The above error occurred in the <X> component",
//     hydration mismatches, "Maximum update depth exceeded", hook order
//     errors, "Objects are not valid as a React child", mechanisms naming
//     react or an error boundary) and Vue ("Error in render", "Error in
//     <name> hook", mechanism vue, a Vue lifecycleHook tag).
//  5. UnhandledRejection: a promise rejected and nobody caught it
//     (mechanism onunhandledrejection, type UnhandledRejection,
//     "Non-Error promise rejection captured", "Unhandled Promise
//     Rejection"). Last of the specific classes: it says how the error
//     surfaced, not what it is.
//  6. Other.
package errclass

import (
	"regexp"
	"strings"

	"github.com/fixproof/fixproof/internal/alert"
)

// Class is an error class.
type Class string

// The classes.
const (
	Network            Class = "network"
	UnhandledRejection Class = "unhandled-rejection"
	Render             Class = "render"
	ScriptLoad         Class = "script-load"
	Panic              Class = "panic"
	Other              Class = "other"
)

// Label is the Jira label for the class: "error-" and the class
// ("error-network"); the empty class is Other.
func (c Class) Label() string {
	if c == "" {
		c = Other
	}
	return "error-" + string(c)
}

// facts are what Of looks at, lower-cased.
type facts struct {
	typ, value, title, text, mechanism, platform string
	a                                            *alert.Alert
}

// Of classifies a's error; see the package documentation for the rules and
// their order. A nil alert is Other.
func Of(a *alert.Alert) Class {
	if a == nil {
		return Other
	}
	f := facts{
		typ:       strings.ToLower(strings.TrimSpace(a.ExceptionType)),
		value:     strings.ToLower(a.ExceptionValue),
		title:     strings.ToLower(a.Title),
		mechanism: strings.ToLower(a.Mechanism),
		platform:  strings.ToLower(a.Platform),
		a:         a,
	}
	if f.mechanism == "" {
		f.mechanism = strings.ToLower(a.Tag("mechanism"))
	}
	// The message as "Type: value", and the title, which Sentry writes the
	// same way and which is all an issue webhook may have.
	f.text = f.typ + ": " + f.value + "\n" + f.title
	for _, r := range rules {
		if r.match(&f) {
			return r.class
		}
	}
	return Other
}

type rule struct {
	class Class
	match func(f *facts) bool
}

// rules in precedence order.
var rules = []rule{
	{Panic, isPanic},
	{ScriptLoad, isScriptLoad},
	{Network, isNetwork},
	{Render, isRender},
	{UnhandledRejection, isUnhandledRejection},
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

var (
	reGoRuntimeType = regexp.MustCompile(`^\*?runtime\.`)
	reWASMTrap      = regexp.MustCompile(`(^|\W)runtimeerror: (unreachable|memory access out of bounds|integer divide by zero|integer overflow|indirect call|null function|call stack exhausted)`)
)

func isPanic(f *facts) bool {
	switch {
	case f.mechanism == "go.panic" || strings.HasSuffix(f.mechanism, ".panic") || f.mechanism == "panic":
		return true
	case reGoRuntimeType.MatchString(f.typ): // *runtime.TypeAssertionError, runtime.Error, runtime.boundsError
		return true
	case strings.HasPrefix(f.value, "panic:") || strings.HasPrefix(f.title, "panic:") || f.typ == "panic":
		return true
	case strings.HasPrefix(f.value, "runtime error:") || strings.HasPrefix(f.value, "fatal error:"):
		return true
	case reWASMTrap.MatchString(f.text):
		return true
	case f.typ == "runtimeerror" && (strings.HasPrefix(f.value, "unreachable") || strings.Contains(f.value, "out of bounds")):
		return true
	}
	return false
}

var (
	reChunk      = regexp.MustCompile(`loading (css )?chunk [^ ]+ failed`)
	reCSP        = regexp.MustCompile(`refused to .* because it violates the following content security policy directive`)
	reCSPTitle   = regexp.MustCompile(`(^|\n)blocked '[a-z-]+' from `)
	scriptErrors = []string{"script error.", "script error"}
)

func isScriptLoad(f *facts) bool {
	switch {
	case f.typ == "chunkloaderror" || f.typ == "csp" || f.platform == "csp":
		return true
	case strings.Contains(f.mechanism, "csp") || strings.Contains(f.mechanism, "securitypolicyviolation"):
		return true
	case reChunk.MatchString(f.text) || reCSP.MatchString(f.text) || reCSPTitle.MatchString(f.title):
		return true
	case containsAny(f.text,
		"failed to fetch dynamically imported module",
		"error loading dynamically imported module",
		"importing a module script failed",
		"failed to load script",
		"unable to preload css"):
		return true
	}
	for _, s := range scriptErrors {
		if strings.TrimSpace(f.value) == s || strings.TrimSpace(f.title) == s {
			return true
		}
	}
	return false
}

var (
	reAxiosTimeout = regexp.MustCompile(`timeout of \d+ms exceeded`)
	reDial         = regexp.MustCompile(`\bdial (tcp|udp|unix)[46]?\b`)
	// Node's (libuv's) error codes of failed connections.
	reNetCode = regexp.MustCompile(`\b(econnrefused|econnreset|etimedout|enotfound|eai_again|ehostunreach|enetunreach|econnaborted|epipe)\b`)
)

func isNetwork(f *facts) bool {
	return fetchFailed(f) || axiosNetworkError(f) || connectionFailed(f) || httpDeadlineExceeded(f)
}

// fetchFailedValues and fetchFailedPrefixes are a TypeError's values
// (lower-cased) when the browser's fetch fails: Chrome, Firefox, Safari,
// React Native. Chrome may add the host: "Failed to fetch (api.example.com)".
var (
	fetchFailedValues = map[string]bool{
		"failed to fetch": true, "load failed": true, "network request failed": true,
		"the network connection was lost.": true, "the internet connection appears to be offline.": true,
	}
	fetchFailedPrefixes = []string{"networkerror when attempting to fetch resource", "failed to fetch ("}
)

// fetchFailed: the browser's fetch failed, by the TypeError's value or by
// the message.
func fetchFailed(f *facts) bool {
	if f.typ == "typeerror" && valueIn(strings.TrimSpace(f.value), fetchFailedValues, fetchFailedPrefixes) {
		return true
	}
	return containsAny(f.text, "typeerror: failed to fetch", "typeerror: load failed", "typeerror: networkerror when attempting to fetch resource",
		"network request failed", "networkerror when attempting to fetch resource")
}

// valueIn reports whether v is one of values or starts with one of
// prefixes.
func valueIn(v string, values map[string]bool, prefixes []string) bool {
	if values[v] {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// axiosNetworkError: axios's "Network Error" or "timeout of Nms exceeded"
// (also as a plain or untyped Error), or an AxiosError naming the network.
func axiosNetworkError(f *facts) bool {
	v := strings.TrimSpace(f.value)
	switch f.typ {
	case "axioserror":
		return v == "network error" || reAxiosTimeout.MatchString(v) || strings.Contains(v, "network")
	case "error", "":
		return v == "network error" || reAxiosTimeout.MatchString(v)
	}
	return false
}

// connectionFailed: Node's error codes, Go's dial errors and the messages
// of a failed connection.
func connectionFailed(f *facts) bool {
	return reNetCode.MatchString(f.text) || reDial.MatchString(f.text) ||
		containsAny(f.text, "connection refused", "connection reset by peer", "i/o timeout", "no such host",
			"tls handshake timeout", "socket hang up", "net::err_", "network is unreachable", "broken pipe")
}

// httpDeadlineExceeded: "context deadline exceeded" of an HTTP request (a
// URL or Client.Timeout in the message, or a *url.Error), not of any
// other work.
func httpDeadlineExceeded(f *facts) bool {
	return strings.Contains(f.text, "context deadline exceeded") &&
		(containsAny(f.text, "http://", "https://", "client.timeout", "net/http") || f.typ == "*url.error")
}

var (
	reReactComponent = regexp.MustCompile(`the above error occurred in (the|one of your) <?[^>]*>? ?component`)
	reVueHook        = regexp.MustCompile(`error in (render|[a-z]+ hook)\b`)
)

// vueHooks are Vue's lifecycle hooks (Vue 2 and 3), lower-cased.
var vueHooks = map[string]bool{
	"render": true, "setup": true, "beforecreate": true, "created": true, "beforemount": true, "mounted": true,
	"beforeupdate": true, "updated": true, "beforeunmount": true, "unmounted": true, "beforedestroy": true,
	"destroyed": true, "activated": true, "deactivated": true, "errorcaptured": true, "serverprefetch": true,
}

func isRender(f *facts) bool {
	return renderMechanism(f.mechanism) || renderMessage(f.text) || vueHookTag(f.a.Tags)
}

// renderMechanism: the SDK caught the error in React (an error boundary)
// or Vue.
func renderMechanism(m string) bool {
	return strings.Contains(m, "react") || strings.Contains(m, "errorboundary") || strings.Contains(m, "error_boundary") ||
		m == "vue" || strings.Contains(m, ".vue.") || strings.HasPrefix(m, "vue.")
}

// renderMessage: React's or Vue's own words for a render or lifecycle
// error.
func renderMessage(text string) bool {
	return strings.Contains(text, "minified react error #") || reReactComponent.MatchString(text) ||
		containsAny(text,
			"hydration failed because", "there was an error while hydrating", "text content does not match server-rendered html",
			"maximum update depth exceeded", "rendered fewer hooks than expected", "rendered more hooks than during the previous render",
			"objects are not valid as a react child", "too many re-renders") ||
		reVueHook.MatchString(text)
}

// vueHookTag: a tag naming the Vue lifecycle hook the error occurred in.
func vueHookTag(tags []alert.Tag) bool {
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "lifecyclehook", "vue.lifecyclehook", "vue.hook":
			if t.Value != "" {
				return true
			}
		case "vue":
			// Inferred: a "vue" tag that names render or a lifecycle hook.
			if v := strings.ToLower(strings.TrimSpace(t.Value)); vueHooks[v] || strings.Contains(v, "hook") || strings.Contains(v, "render") {
				return true
			}
		}
	}
	return false
}

func isUnhandledRejection(f *facts) bool {
	return strings.Contains(f.mechanism, "unhandledrejection") ||
		f.typ == "unhandledrejection" ||
		containsAny(f.text, "non-error promise rejection captured", "unhandled promise rejection", "unhandledpromiserejection")
}
