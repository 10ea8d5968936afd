package ticket

import "testing"

func TestTextFromHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs, lists and entities",
			`<p>Checkout <b>fails</b> &amp; retries</p><ul><li>pod api-1</li><li>pod api-2</li></ul><br/><script>alert(1)</script>`,
			"Checkout fails & retries\npod api-1\npod api-2"},
		{"plain text keeps its lines", "line one\n\n  line   two \t\r\nthree", "line one\nline two\nthree"},
		{"an attribute holding >", `<a href="https://x.example/?q=a>b" title="1 > 0">the link</a> text`, "the link text"},
		{"a bare < and > in text", `5 < 6 and 7 > 3`, "5 < 6 and 7 > 3"},
		{"comments", `before<!-- <p>hidden</p> a > b -->after<!---->!`, "beforeafter!"},
		{"script content", `<script>if (a<b) { document.write("<p>x</p>") }</script>ok<script/>alert(1)</script>`, "ok"},
		{"style content", `<style>p > a { color: red }</style><p>shown</p>`, "shown"},
		{"entities decoded once, as text", `a &lt;b&gt; &amp;amp; &#39;q&#39; x&lt;br&gt;y&nbsp;`, "a <b> &amp; 'q' x<br>y"},
		{"br variants", "a<br>b<BR/>c<br />d<br class=\"x\">e</br>f<br\n>g", "a\nb\nc\nd\ne\nf\ng"},
		{"blocks that are not closed", `<p>one<p>two<div>three</div>four<h2>five</h2>six`, "one\ntwo\nthree\nfour\nfive\nsix"},
		{"table rows and cells", `<table><tr><th>k</th><th>v</th></tr><tr><td>env</td><td>prod</td></tr></table>`, "k v\nenv prod"},
		{"a tag cut off at the end", `text<b`, "text"},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		if got := TextFromHTML(tt.in); got != tt.want {
			t.Errorf("%s: TextFromHTML(%q)\n got %q\nwant %q", tt.name, tt.in, got, tt.want)
		}
	}
}
