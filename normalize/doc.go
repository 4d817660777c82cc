// Package normalize folds text so that what a customer types can be matched with what a flow
// author wrote, whatever keyboard, spelling habit or digit script either used.
//
// Text is the folding behind keyword triggers, restart and opt-out words, switch cases and
// the expression helper normalize(s): lower case, Arabic diacritics and tatweel removed,
// alef/hamza, alef maqsura and ta marbuta variants unified, Arabic-Indic and Persian digits
// read as ASCII, punctuation turned into spaces and spaces collapsed. Both sides of a
// comparison must be folded with the same function, so the rules live here and nowhere else.
//
// Digits only converts digits, for answers such as order numbers and dates where the other
// characters matter; OnlyDigits also drops everything that is not a digit, for phone numbers
// and codes typed with spaces or dashes.
//
// All functions are pure, safe for concurrent use, and return their argument without
// allocating when it is already in folded form.
package normalize
