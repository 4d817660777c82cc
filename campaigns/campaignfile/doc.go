// Package campaignfile reads campaign files: the YAML an operator writes to send one
// approved template to an audience through a pool of campaign numbers (docs/campaigns.md).
//
// A campaign file is named *.campaign.yaml (or .yml) and sits beside the flows or in a
// folder of its own; flows.Load leaves such files alone. Its format is one yamlfile.Spec
// (FormatSpec), from which the loader checks every key and schema/campaign.schema.json is
// generated, so an editor and `wasla validate` agree. Parse reports every problem at once
// as file:line:col diagnostics with a "did you mean" for misspelt keys; the template's
// parameters are flows' {{ }} templates over the contact, compiled when the file loads, so
// a misspelt field fails there and not at send time.
package campaignfile
