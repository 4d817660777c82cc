package flows

// The WhatsApp limits a rendered message must keep, in characters (Unicode code points, as
// WhatsApp counts them). The loader checks the literal parts of a text against them; the
// engine checks the rendered text, once the {{ }} parts are filled in.
const (
	MaxText           = maxTextLen        // a text message
	MaxInteractive    = maxButtonBodyLen  // the body of a buttons or list message
	MaxHeader         = maxHeaderLen      // the header of a buttons or list message
	MaxFooter         = maxFooterLen      // the footer of a buttons or list message
	MaxButtonTitle    = maxButtonTitleLen // a reply button's title
	MaxRowTitle       = maxRowTitleLen    // a list row's title
	MaxRowDescription = maxRowDescLen     // a list row's description
	MaxListButton     = maxListButtonLen  // the label of the button that opens a list
	MaxSectionTitle   = maxSectionTitleLen
	MaxTemplateParam  = maxTemplateParam // one body parameter of a template
	MaxCaption        = maxCaptionLen    // a media caption
)
