package campaignfile

import (
	"sync"

	"github.com/wasla/wasla/yamlfile"
)

// FormatSpec returns the campaign file format: the single source of truth for the
// loader's checks and for schema/campaign.schema.json. The value is shared and must not be
// changed.
func FormatSpec() *yamlfile.Spec { return formatSpec() }

var formatSpec = sync.OnceValue(buildSpec)

// Patterns shared by the loader and the schema.
const (
	patternName    = `^[a-z0-9][a-z0-9_-]*$`
	patternPercent = `^[0-9]+(\.[0-9]+)?%$`
	patternDigits  = `^[0-9]+$`
	patternTime    = `^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})$`
)

func buildSpec() *yamlfile.Spec {
	text := func(doc string) *yamlfile.Spec { return &yamlfile.Spec{Kind: yamlfile.KindString, Doc: doc} }
	nonEmpty := &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}
	percent := &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternPercent, Doc: "A percentage such as 10% or 2.5%."}
	positive := &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(1)}
	steps := &yamlfile.Spec{Kind: yamlfile.KindList, MinItems: 1, Elem: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)},
		Doc: "Daily caps, one per clean day; the last holds once reached; 0 means no cap."}
	duration := func(doc string) *yamlfile.Spec {
		return &yamlfile.Spec{Kind: yamlfile.KindDuration, Doc: doc}
	}
	when := &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternTime, Doc: "A time with its offset, such as 2026-02-18T19:00:00+03:00."}
	template := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "template", Doc: "The approved WhatsApp template the campaign sends.", Fields: []*yamlfile.Field{
		{Name: "name", Spec: nonEmpty, Required: true, Doc: "The approved template's name."},
		{Name: "language", Spec: nonEmpty, Required: true, Doc: "The template's language code, such as ar or en_US; a {{ }} expression may choose it per contact."},
		{Name: "category", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"marketing", "utility"}}, Default: "marketing",
			Doc: "marketing (left out for countries Meta does not deliver marketing to) or utility."},
		{Name: "params", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: text("")},
			Doc: "Body parameters {{1}}, {{2}}, ... in order, each a text with {{ }} expressions over the contact: contact.name, contact.attrs.city, contact.id."},
	}}
	audience := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "audience", Doc: "Who the campaign goes to.", Fields: []*yamlfile.Field{
		{Name: "csv", Spec: nonEmpty, Doc: "The audience CSV file, relative to this file; its first row names the columns. An audience needs csv, contacts or both."},
		{Name: "contacts", Spec: nonEmpty, Doc: "An expression choosing contacts already stored (a true/false expression over contact.tags, contact.attrs, contact.name, contact.language, and session.last_inbound, the last time the contact wrote): \"vip\" in contact.tags && session.last_inbound > now - duration(\"720h\")."},
		{Name: "phone_column", Spec: nonEmpty, Default: "phone", Doc: "The column holding the phone number; every other column is an attribute."},
		{Name: "default_country", Spec: text(""), Doc: "The country of numbers written without a country code: an ISO code (SA) or a calling code (966)."},
	}}
	number := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "number", Doc: "A campaign number of the pool.", Fields: []*yamlfile.Field{
		{Name: "id", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternDigits}, Required: true, Doc: "Meta's phone number id; the number must be in the serve configuration with role campaign."},
		{Name: "tier", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}}, Default: "TIER_250",
			Doc: "The portfolio's messaging-limit tier, as Meta reports it; all numbers of one portfolio share it."},
		{Name: "portfolio", Spec: text(""), Doc: "The business portfolio; default: the number's portfolio in the serve configuration."},
		{Name: "throughput", Spec: positive, Doc: "Messages per second; default: the number's throughput in the serve configuration."},
		{Name: "ramp", Spec: steps, Doc: "This number's own warm-up ramp."},
	}}
	replies := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "replies", Doc: "Where replies to the campaign go.", Fields: []*yamlfile.Field{
		{Name: "policy", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"link", "bridge", "hold"}}, Default: "link",
			Doc: "How a reply reaches the central inbox: link, bridge or hold (docs/routing.md)."},
		{Name: "flow", Spec: text(""), Doc: "The flow with a campaign trigger that answers replies."},
	}}
	stopLoss := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "stop_loss", Doc: "When the campaign stops itself.", Fields: []*yamlfile.Field{
		{Name: "max_failure_rate", Spec: percent, Default: "10%", Doc: "Stop when more than this share of sends fail for good (131049 excluded)."},
		{Name: "max_opt_out_rate", Spec: percent, Default: "2%", Doc: "Stop when more than this share of delivered recipients opt out."},
	}}
	canary := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "canary", Doc: "The first slice, and the pause before the rest.", Fields: []*yamlfile.Field{
		{Name: "share", Spec: percent, Default: "2%", Doc: "The slice's share of the audience; 0% turns the canary off."},
		{Name: "min", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 50, Doc: "The fewest contacts in the slice."},
		{Name: "max", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 500, Doc: "The most contacts in the slice; 0: no bound."},
		{Name: "pause", Spec: duration(""), Default: "6h", Doc: "The wait after the slice, for Meta's template pacing and early feedback."},
	}}
	pacingSpec := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "pacing", Doc: "Overrides of the pacing defaults.", Fields: []*yamlfile.Field{
		{Name: "ramp", Spec: steps, Doc: "The warm-up ramp of the pool's numbers without their own."},
		{Name: "spread_over", Spec: duration(""), Default: "10h", Doc: "A ramping number's daily cap is spread over this long."},
		{Name: "claim_lease", Spec: duration(""), Default: "1m", Doc: "How long a replica holds a contact while it sends; a replica that dies holding it is found out after this."},
		{Name: "unknown_grace", Spec: duration(""), Default: "30m", Doc: "How long an attempt whose answer was lost waits for Meta's status webhook before it is sent again; longer than any webhook delay."},
		{Name: "zone_attribute", Spec: nonEmpty, Default: "tz", Doc: "The contact attribute naming an IANA time zone, over the zone of the phone's country."},
	}}
	return &yamlfile.Spec{Kind: yamlfile.KindObject, What: "the campaign", Doc: "A wasla campaign: one approved template sent to an audience through a pool of campaign numbers. See docs/campaigns.md.",
		Fields: []*yamlfile.Field{
			{Name: "name", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternName}, Required: true,
				Doc: "The campaign's name: lower-case letters, digits, - and _; replies carry it to the flows' campaign trigger."},
			{Name: "template", Spec: template, Required: true, Doc: template.Doc},
			{Name: "audience", Spec: audience, Required: true, Doc: audience.Doc},
			{Name: "numbers", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: number, MinItems: 1}, Required: true, Doc: "The pool of campaign numbers."},
			{Name: "replies", Spec: replies, Doc: replies.Doc},
			{Name: "hours", Spec: text(""), Default: "daily 09:00-21:00", Doc: "Sending hours in the contact's time zone, in the flows' business-hours syntax; empty: any time."},
			{Name: "zone", Spec: text(""), Default: "UTC", Doc: "The business's IANA time zone: its midnight starts a number's day, and it holds contacts whose zone is unknown."},
			{Name: "start", Spec: when, Doc: "No send before this time."},
			{Name: "end", Spec: when, Doc: "No send after this time."},
			{Name: "ttl", Spec: duration(""), Doc: "How long after its start the campaign may still send; a contact not reached by then is not sent to."},
			{Name: "stop_loss", Spec: stopLoss, Doc: stopLoss.Doc},
			{Name: "canary", Spec: canary, Doc: canary.Doc},
			{Name: "pacing", Spec: pacingSpec, Doc: pacingSpec.Doc},
		}}
}
