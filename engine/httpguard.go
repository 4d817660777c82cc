package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrInternalAddress is the error of an http step refused by the internal-address guard.
var ErrInternalAddress = errors.New("address is internal")

// DefaultMaxRedirects is how many redirects an http step follows when HTTPPolicy leaves it 0.
const DefaultMaxRedirects = 3

// HTTPPolicy says what the http steps of flows may reach. The zero value follows at most
// DefaultMaxRedirects redirects, never to another scheme, and reaches any address.
type HTTPPolicy struct {
	// BlockInternal refuses connections to non-public addresses (see IsInternal): a flow
	// must not be turned into a probe of the network the server runs in, or of the cloud
	// metadata service that hands out credentials. The check is made on the address being
	// dialled, after DNS resolution, so a name that resolves, or is re-bound, to an
	// internal address is refused as well.
	BlockInternal bool
	// AllowHosts are host names (or host:port) dialled without the check: the business's
	// own backend on a private network. Compared without case.
	AllowHosts []string
	// MaxRedirects bounds the redirects followed; 0 means DefaultMaxRedirects, negative
	// means none.
	MaxRedirects int
}

// NewHTTPClient returns the client http steps run with under p. It uses no proxy from the
// environment when BlockInternal is set: the guard checks the address dialled, and a proxy
// would make that the proxy's.
func NewHTTPClient(p HTTPPolicy) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if p.BlockInternal {
		tr.Proxy = nil
		guarded := &net.Dialer{Timeout: dialer.Timeout, KeepAlive: dialer.KeepAlive, Control: refuseInternal}
		allowed := make([]string, len(p.AllowHosts))
		for i, h := range p.AllowHosts {
			allowed[i] = strings.ToLower(h)
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			if slices.Contains(allowed, strings.ToLower(host)) || slices.Contains(allowed, strings.ToLower(addr)) {
				return dialer.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		}
	}
	max := p.MaxRedirects
	if max == 0 {
		max = DefaultMaxRedirects
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if max < 0 || len(via) > max {
				return fmt.Errorf("stopped after %d redirects (to %s)", len(via)-1, req.URL.Redacted())
			}
			if req.URL.Scheme != via[0].URL.Scheme {
				return fmt.Errorf("redirect from %s to %s refused: another scheme", via[0].URL.Scheme, req.URL.Redacted())
			}
			return nil
		},
	}
}

// refuseInternal is the dialer's Control: it sees the resolved address of each attempt.
func refuseInternal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read %q", ErrInternalAddress, address)
	}
	if IsInternal(ap.Addr()) {
		return fmt.Errorf("%w: %s (add the host to http_steps.allow_hosts if it is your own backend)", ErrInternalAddress, ap.Addr())
	}
	return nil
}

// internalRanges are the non-public ranges netip has no predicate for.
var internalRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: checked on the IPv4 it embeds too
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2002::/16"),      // 6to4: may embed any IPv4
	netip.MustParsePrefix("2001::/32"),      // Teredo: may embed any IPv4
	netip.MustParsePrefix("169.254.0.0/16"), // link-local (cloud metadata 169.254.169.254)
	netip.MustParsePrefix("fd00:ec2::/32"),  // AWS metadata over IPv6 (fd00:ec2::254)
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped, when not unmapped
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fc00::/7"),       // unique local
	netip.MustParsePrefix("ff00::/8"),       // multicast
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("255.255.255.255/32"),
}

// IsInternal reports whether a is not a public unicast address: loopback, private,
// link-local (the cloud metadata service), carrier-grade NAT, multicast, unspecified,
// reserved, and the IPv6 forms that embed one of those.
func IsInternal(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	if a.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(a) {
		b := a.As16()
		return IsInternal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, p := range internalRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
