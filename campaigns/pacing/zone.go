package pacing

import (
	"fmt"
	"sync"
	"time"

	"github.com/wasla/wasla/campaigns/country"
	"github.com/wasla/wasla/chat"
)

// Zones finds a contact's time zone: the IANA zone a contact attribute names, else the
// zone of the phone number's calling code (campaigns/country), else the fallback (the
// business's zone). Loaded zones are cached, because time.LoadLocation reads the zone
// database on every call. Zones is safe for concurrent use.
type Zones struct {
	fallback *time.Location
	cache    sync.Map // zone name -> *time.Location, or error
}

// NewZones returns a finder whose fallback is used for unknown calling codes; nil: UTC.
func NewZones(fallback *time.Location) *Zones {
	if fallback == nil {
		fallback = time.UTC
	}
	return &Zones{fallback: fallback}
}

// Fallback returns the zone used when nothing else is known.
func (z *Zones) Fallback() *time.Location { return z.fallback }

// Of returns the zone of contact; named is the value of its zone attribute ("" when it
// has none). An attribute naming no known zone is an error, so that a typo in an audience
// file is reported rather than silently sending at the wrong hour.
func (z *Zones) Of(contact chat.ContactID, named string) (*time.Location, error) {
	if named != "" {
		loc, err := z.load(named)
		if err != nil {
			return nil, fmt.Errorf("time zone %q of contact %s: %w", named, contact.Redacted(), err)
		}
		return loc, nil
	}
	if c, ok := country.Lookup(string(contact)); ok {
		if loc, err := z.load(c.Zone); err == nil {
			return loc, nil
		}
	}
	return z.fallback, nil
}

func (z *Zones) load(name string) (*time.Location, error) {
	if v, ok := z.cache.Load(name); ok {
		if err, bad := v.(error); bad {
			return nil, err
		}
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		z.cache.Store(name, err)
		return nil, err
	}
	z.cache.Store(name, loc)
	return loc, nil
}
