// Package corpus makes a realistic corpus of news posts in the sample post's
// format, for benchmarks and load tests: several years of dates, eight
// categories of skewed sizes, English, Khmer and Chinese, bodies of 4 to
// 5 KB, in year/month directories. The same seed gives the same bytes.
// It is what bench/gen writes and what the benchmarks parse.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// category is a section of the paper and its share of the posts.
type category struct {
	name  string
	share float64
}

// categories have the skewed sizes of a real archive: national news is a
// third of it, real estate a few percent.
var categories = []category{
	{"NATIONAL", .30}, {"BUSINESS", .18}, {"WORLD", .14}, {"SPORT", .12},
	{"LIFESTYLE", .09}, {"OPINION", .07}, {"TECH", .06}, {"REAL ESTATE", .04},
}

type language struct {
	tag   string
	share float64
	words []string
	sep   string // between words
	stop  string // end of a sentence
}

var languages = []language{
	{"en", .60, strings.Fields("the government said on Monday that new investment in roads schools and hospitals would continue " +
		"as trade with regional partners grew steadily while officials met business leaders farmers and workers " +
		"in Phnom Penh Siem Reap and Battambang to discuss prices exports tourism water energy and jobs this year"), " ", ". "},
	{"km", .25, strings.Fields("រដ្ឋាភិបាល បាន ប្រកាស ថា ការវិនិយោគ ថ្មី លើ ផ្លូវ សាលារៀន និង មន្ទីរពេទ្យ នឹង បន្ត " +
		"ខណៈ ពាណិជ្ជកម្ម ជាមួយ ដៃគូ ក្នុងតំបន់ កើនឡើង ជាលំដាប់ នៅ ភ្នំពេញ សៀមរាប បាត់ដំបង ឆ្នាំនេះ"), " ", " ។ "},
	{"zh", .15, strings.Fields("政府 周一 表示 对 道路 学校 和 医院 的 新 投资 将 继续 随着 与 地区 伙伴 的 贸易 稳步 增长 " +
		"官员 在 金边 暹粒 和 马德望 会见 商界 领袖 农民 和 工人 讨论 价格 出口 旅游 水 能源 和 就业"), "", "。"},
}

// pick chooses by share.
func pick[T any](r *rand.Rand, items []T, share func(T) float64) T {
	x := r.Float64()
	for _, it := range items {
		if x -= share(it); x < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

func sentence(r *rand.Rand, l language, min, max int) string {
	n := min + r.IntN(max-min+1)
	words := make([]string, n)
	for i := range words {
		words[i] = l.words[r.IntN(len(l.words))]
	}
	s := strings.Join(words, l.sep)
	if l.tag == "en" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// Post makes the i-th of n posts of the corpus: its path (year/month/code.md)
// and its bytes. Its randomness comes from the seed and i alone, so posts
// can be made in any order.
func Post(seed uint64, i, n int) (path string, text []byte) {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	first := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	span := last.Sub(first)
	date := first.Add(time.Duration(float64(span) * (float64(i) + r.Float64()) / float64(n))).Truncate(time.Millisecond)
	cat := pick(r, categories, func(c category) float64 { return c.share })
	lang := pick(r, languages, func(l language) float64 { return l.share })
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	suffix := make([]byte, 6)
	for j := range suffix {
		suffix[j] = alphabet[r.IntN(len(alphabet))]
	}
	code := fmt.Sprintf("ART%s%s%05d", date.Format("0601021504"), suffix, i%100000)
	title := sentence(r, lang, 5, 11)
	slug := strings.ToLower(strings.ReplaceAll(cat.name, " ", "-"))

	var body strings.Builder
	body.WriteString("# " + title + "\n\n")
	fmt.Fprintf(&body, "![](https://cdn.example.com/images/%s-inline.jpg)\n\n", code)
	// Sentence by sentence, so the body ends between 4 and 5 KB: a
	// sentence is at most about 600 bytes (20 Khmer words).
	target := 4096 + r.IntN(1024-600)
	inPara := 0
	for body.Len() < target {
		body.WriteString(sentence(r, lang, 8, 20) + strings.TrimRight(lang.stop, " "))
		inPara++
		if inPara >= 2+r.IntN(4) {
			if r.IntN(6) == 0 {
				fmt.Fprintf(&body, " [Related](/%s/related-%d)", slug, r.IntN(n))
			}
			body.WriteString("\n\n")
			inPara = 0
		} else if lang.sep != "" {
			body.WriteString(" ")
		}
	}

	var b strings.Builder
	b.WriteString("---\nlayout: post\n")
	fmt.Fprintf(&b, "code: %q\n", code)
	fmt.Fprintf(&b, "origin_url: \"https://www.example.com/%s/%s\"\n", slug, strings.ToLower(code))
	fmt.Fprintf(&b, "image: \"https://cdn.example.com/images/%s.jpg\"\n", code)
	fmt.Fprintf(&b, "title: %q\n", title)
	fmt.Fprintf(&b, "description: %q\n", sentence(r, lang, 10, 18))
	fmt.Fprintf(&b, "category: %q\n", cat.name)
	fmt.Fprintf(&b, "language: %q\n", lang.tag)
	fmt.Fprintf(&b, "date: %s\n", date.Format("2006-01-02T15:04:05.000Z"))
	b.WriteString("---\n\n")
	b.WriteString(strings.TrimSpace(body.String()))
	b.WriteString("\n")
	return filepath.Join(date.Format("2006"), date.Format("01"), code+".md"), []byte(b.String())
}

// Generate writes n posts under dir.
func Generate(dir string, n int, seed uint64) error {
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				rel, text := Post(seed, i, n)
				full := filepath.Join(dir, rel)
				err := os.MkdirAll(filepath.Dir(full), 0o755)
				if err == nil {
					err = os.WriteFile(full, text, 0o644)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
