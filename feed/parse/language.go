package parse

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// Language checks that tag is a BCP 47 language tag whose subtags
// are registered ("english" and "xx" are not), and returns it in its
// conventional case ("zh-Hant", "en-US"); "_" is read as "-".
// Deprecated tags are kept as written ("iw" stays "iw").
func Language(tag string) (string, error) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return "", fmt.Errorf("empty language tag")
	}
	t, err := language.Raw.Parse(tag)
	if err != nil {
		return "", fmt.Errorf("invalid language tag %q: %v", tag, strings.TrimPrefix(err.Error(), "language: "))
	}
	return t.String(), nil
}
