package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"clientarea.dev/clientarea-operator/internal/testenv"
)

// sessionCookie is the client area's session cookie.
const sessionCookie = "__Host-session"

// browser is one person's browser: a browser context of its own in the one
// Chromium process, so its own cookies.
type browser struct {
	name string
	ctx  context.Context
}

// actionTimeout bounds each browser step: a missing element fails the step
// after this long, naming the element.
const actionTimeout = 15 * time.Second

func newBrowser(name string) *browser {
	GinkgoHelper()
	// It lives as long as the suite's browser (a DeferCleanup here would
	// close it at the end of the step that opens it).
	ctx, _ := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext()) //nolint:govet // closed with browserCtx
	// The first run opens the tab and binds it to the context it gets:
	// one without a timeout.
	Expect(chromedp.Do(ctx)).To(Succeed(), "opening %s's browser", name)
	b := &browser{name: name, ctx: ctx}
	b.do(chromedp.EmulateViewport(1280, 860))
	return b
}

// do runs actions, each step bounded by actionTimeout.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	Expect(chromedp.Do(ctx, actions...)).To(Succeed(), "%s's browser at %s", b.name, b.location())
}

// navigateBy runs actions that cause a navigation (a click on a link, a
// form's submit button), waits until the new page has loaded and returns
// its status code.
func (b *browser) navigateBy(actions ...chromedp.Action[chromedp.Void]) int {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s", b.name, b.location())
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// open goes to a path of the client area, or to a full URL, and returns
// the page's status code.
func (b *browser) open(target string) int {
	GinkgoHelper()
	if strings.HasPrefix(target, "/") {
		target = area.URL + target
	}
	return b.navigateBy(chromedp.Navigate(target))
}

// click clicks the element with the given CSS selector, waits for the page
// it leads to, and expects that page to be no error.
func (b *browser) click(selector string) {
	GinkgoHelper()
	status := b.navigateBy(chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	Expect(status).To(BeNumerically("<", 400), "%s's browser: clicking %s led to %s with status %d:\n%s",
		b.name, selector, b.location(), status, b.pageText())
}

// pageText is the text of the page, for failure messages.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return text
}

// text is the text of the first element the selector matches, once it is there.
func (b *browser) text(selector string) string {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: no visible %s", b.name, b.location(), selector)
	return text
}

// has tells whether the page has an element that the selector matches.
func (b *browser) has(selector string) bool {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", selector)))
	Expect(err).NotTo(HaveOccurred())
	return found
}

// setValue sets the value of a form field (input, select, textarea).
func (b *browser) setValue(selector, value string) {
	GinkgoHelper()
	b.do(chromedp.SetValue(chromedp.CSS(selector), value, chromedp.NodeReady))
}

// check ticks a checkbox, unless it is ticked.
func (b *browser) check(selector string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(selector), "checked", chromedp.NodeReady))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: no %s", b.name, b.location(), selector)
	if !checked {
		b.do(chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	}
}

// submit clicks the submit button of a form and waits for the page that
// the post/redirect/get leads to.
func (b *browser) submit(form string) {
	GinkgoHelper()
	b.click(fmt.Sprintf("%[1]s button[type=submit], %[1]s input[type=submit], %[1]s button:not([type])", form))
}

// location is the page's URL.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return location
}

// path is the page's path, when it is the client area's.
func (b *browser) path() string {
	GinkgoHelper()
	u, err := url.Parse(b.location())
	Expect(err).NotTo(HaveOccurred())
	return u.Path
}

// session is the browser's session cookie for the client area.
func (b *browser) session() (*network.Cookie, bool) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{area.URL + "/"}})
	Expect(err).NotTo(HaveOccurred())
	for _, c := range res.Cookies {
		if c.Name == sessionCookie {
			return c, true
		}
	}
	return nil, false
}

// screenshots numbers the screenshots in the order they are taken.
var screenshots atomic.Int32

// forReadme are the screenshots that the README shows (docs/screenshots/).
var forReadme = map[string]bool{
	"dev-login": true, "account-picker": true, "members-invited": true, "domains": true, "invoice": true, "bernd-invoices": true,
}

// shot keeps a PNG screenshot of the page (the viewport) as
// <artifacts>/<nn>-<name>.png.
func (b *browser) shot(name string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(artifacts, fmt.Sprintf("%02d-%s.png", screenshots.Add(1), name))
	Expect(os.WriteFile(file, png, 0o644)).To(Succeed())
	GinkgoWriter.Printf("screenshot %s (%s)\n", file, b.location())
	if forReadme[name] && os.Getenv("UPDATE_SCREENSHOTS") != "" {
		docs := filepath.Join(testenv.RepoRoot(), "docs", "screenshots")
		Expect(os.MkdirAll(docs, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(docs, name+".png"), png, 0o644)).To(Succeed())
	}
}

// setValues sets the values of the fields that the selector matches (a
// repeated field), the first ones, in order.
func (b *browser) setValues(selector string, values ...string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(selector), chromedp.NodeReady, chromedp.AtLeast(len(values))))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: fewer than %d of %s", b.name, b.location(), len(values), selector)
	for i, value := range values {
		b.do(chromedp.SetValue(chromedp.NodeIDs{nodes[i].NodeID}, value))
	}
}

// openMenuOf opens the menu that holds an element, when it is in one that
// is closed (a <details> element, such as the menu behind the user's name).
func (b *browser) openMenuOf(selector string) {
	GinkgoHelper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const menu = el && el.closest("details");
		if (menu && !menu.open) { menu.querySelector("summary").click(); }
	})()`, selector)))
}

// handMade sends a request of the person's own, outside the browser, with
// the browser's session cookie (as a person would with curl), and returns
// the answer's status and body.
func (b *browser) handMade(method, path string, form url.Values) (int, string) {
	GinkgoHelper()
	session, ok := b.session()
	Expect(ok).To(BeTrue(), "%s has no %s cookie", b.name, sessionCookie)
	return b.handMadeWithCookie(session.Value, method, path, form)
}

// handMadeWithCookie is handMade with a given session cookie.
func (b *browser) handMadeWithCookie(session, method, path string, form url.Values) (int, string) {
	GinkgoHelper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, area.URL+path, body)
	Expect(err).NotTo(HaveOccurred())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{
		Timeout:       actionTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(data)
}
