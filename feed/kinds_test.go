package feed_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/feedtest"
)

// TestKinds: the table of kinds of feed, in the order the index and the
// OPML list them, each made of its facets in URL order.
func TestKinds(t *testing.T) {
	var got []string
	for _, k := range feed.Kinds {
		var facets []string
		for _, f := range k.Facets {
			facets = append(facets, f.Name)
		}
		got = append(got, k.Name+"("+strings.Join(facets, ",")+")")
	}
	want := "feed() category(category) language(language) language_category(language,category) author(author) language_author(language,author)"
	if strings.Join(got, " ") != want {
		t.Errorf("Kinds: %s\nwant   %s", strings.Join(got, " "), want)
	}
	if feed.Everything != feed.Kinds[0] || len(feed.Everything.Facets) != 0 {
		t.Error("Everything is not the first kind, without facets")
	}
	for f, name := range map[*feed.Facet]string{feed.ByCategory: "category", feed.ByLanguage: "language", feed.ByAuthor: "author"} {
		if k := feed.KindOf(f); k == nil || k.Name != name {
			t.Errorf("KindOf(%s) = %v", f.Name, k)
		}
	}
	for _, k := range feed.Kinds {
		if k.Group == "" {
			t.Errorf("kind %s has no heading", k.Name)
		}
		// The pattern errors show names a path of the kind.
		if key, ok := feed.ParseDir(k.Pattern()); !ok || key.Kind != k {
			t.Errorf("kind %s: its pattern %s is not one of its paths", k.Name, k.Pattern())
		}
	}
	if p := feed.Kinds[3].Pattern(); p != "/language/LANGUAGE/category/CATEGORY/" {
		t.Errorf("language_category's pattern is %s", p)
	}
}

// TestViewKeys: a feed's key from URL segments in any case (a language
// with "_" as well), its URL directory with its values percent-encoded,
// and the value of each facet.
func TestViewKeys(t *testing.T) {
	category, language := feed.KindOf(feed.ByCategory), feed.KindOf(feed.ByLanguage)
	langCat, langAuthor := kind(t, "language_category"), kind(t, "language_author")
	tests := []struct {
		key    feed.ViewKey
		values [2]string
		dir    string
	}{
		{feed.Everything.Key(), [2]string{}, "/"},
		{category.Key("NATIONAL"), [2]string{"national"}, "/category/national/"},
		{category.Key("Real-Estate"), [2]string{"real-estate"}, "/category/real-estate/"},
		{category.Key("ជាតិ"), [2]string{"ជាតិ"}, "/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/"},
		{category.Key("a b/c"), [2]string{"a b/c"}, "/category/a%20b%2Fc/"},
		{language.Key("EN_us"), [2]string{"en-us"}, "/language/en-us/"},
		{language.Key("zh-Hant"), [2]string{"zh-hant"}, "/language/zh-hant/"},
		{langCat.Key("KM", "National"), [2]string{"km", "national"}, "/language/km/category/national/"},
		{langCat.Key("zh_HANT", "ជាតិ"), [2]string{"zh-hant", "ជាតិ"}, "/language/zh-hant/category/%E1%9E%87%E1%9E%B6%E1%9E%8F%E1%9E%B7/"},
		{feed.KindOf(feed.ByAuthor).Key("Ann-Writer"), [2]string{"ann-writer"}, "/author/ann-writer/"},
		{langAuthor.Key("en_GB", "BO"), [2]string{"en-gb", "bo"}, "/language/en-gb/author/bo/"},
	}
	for _, tt := range tests {
		if tt.key.Values != tt.values || tt.key.Dir() != tt.dir {
			t.Errorf("%s key: values %q, dir %q; want %q, %q", tt.key.Kind.Name, tt.key.Values, tt.key.Dir(), tt.values, tt.dir)
		}
	}
	if category.Key("NATIONAL") != category.Key("national") || langCat.Key("en_US", "X") != langCat.Key("en-us", "x") {
		t.Error("keys that differ only in case or in \"_\" are different feeds")
	}
	if (feed.Everything.Key() != feed.ViewKey{Kind: feed.Everything}) {
		t.Error("Everything.Key() is not the feed of every post")
	}
	k := langCat.Key("km", "national")
	for f, want := range map[*feed.Facet]string{feed.ByLanguage: "km", feed.ByCategory: "national"} {
		if v, ok := k.Value(f); !ok || v != want {
			t.Errorf("Value(%s) = %q, %v; want %q", f.Name, v, ok, want)
		}
	}
	if v, ok := k.Value(feed.ByAuthor); ok {
		t.Errorf("Value(author) of a language and category feed = %q", v)
	}
	if _, ok := feed.Everything.Key().Value(feed.ByCategory); ok {
		t.Error("the feed of every post has a category")
	}
	if got := feed.LanguageKey("zh_Hant_TW"); got != "zh-hant-tw" {
		t.Errorf("LanguageKey = %q", got)
	}
}

// TestFixtureFeeds: the fixture has a feed of every kind, exactly those
// feedtest.Views lists, in the order of Kinds then of their keys.
func TestFixtureFeeds(t *testing.T) {
	set, _ := feedtest.Load(t, "posts")
	snap := set.Current()
	var got, want []string
	kinds := map[*feed.Kind]bool{}
	for _, v := range snap.Views() {
		got = append(got, v.Key.Dir())
		kinds[v.Key.Kind] = true
		if v.Key.Kind == nil {
			t.Errorf("a feed without a kind: %+v", v.Key)
		}
	}
	for _, v := range feedtest.Views() {
		want = append(want, v.Key.Dir())
	}
	slices.Sort(want)
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, want) {
		t.Errorf("feeds:\n %s\nwant\n %s", strings.Join(sorted, "\n "), strings.Join(want, "\n "))
	}
	for _, k := range feed.Kinds {
		if !kinds[k] {
			t.Errorf("the fixture has no feed of kind %s", k.Name)
		}
	}
	index := func(k *feed.Kind) int { return slices.Index(feed.Kinds, k) }
	for i := 1; i < len(snap.Views()); i++ {
		a, b := snap.Views()[i-1].Key, snap.Views()[i].Key
		if index(a.Kind) > index(b.Kind) || a.Kind == b.Kind && slices.Compare(a.Values[:], b.Values[:]) >= 0 {
			t.Errorf("feed %s listed before %s", a.Dir(), b.Dir())
		}
	}
}
