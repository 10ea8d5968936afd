package jirakey

import (
	"fmt"
	"strings"
	"testing"
)

// realisticBody returns a pull request body of about size bytes written the
// way people write them: a template with comments, prose with keys and
// standards, links, lists and code.
func realisticBody(size int) string {
	var b strings.Builder
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, `## Summary
<!-- Describe the change and reference the Jira issue, e.g. ABC-123. -->

Fixes OPS-%d and relates to [WEB-%d](https://acme.atlassian.net/browse/web-%d).
Timestamps are now ISO-8601 in UTF-8 and checksums use SHA-256, as RFC-6920 suggests.
Requires GO-1.26 and TLS-1.3; see CVE-2024-%d.

### Checklist
- [x] Tests for OPS-%d
- [ ] Docs (`+"`DOCS-%d`"+`)

`+"```go"+`
func main() {
	log.Println("OPS-999 example, not a reference")
}
`+"```"+`

~~~
2024-11-21T10:00:00Z OPS-1 started
~~~

`, i, i, i, 1000+i, i, i)
	}
	return b.String()
}

func BenchmarkBody(b *testing.B) {
	body := realisticBody(64 << 10)
	var e Extractor
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		e.Body(body)
	}
}

func BenchmarkText(b *testing.B) {
	msg := realisticBody(100 << 10)
	var e Extractor
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		e.Text(msg)
	}
}
