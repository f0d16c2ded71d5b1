package endpoints

import (
	"fmt"
	"strconv"
	"strings"
)

// DescriptionError is why ServerFromString or ClientFromString refused a
// description: Twisted raises a Python exception there, and Kind names its
// class ("ValueError" for an unknown type or a bad number, "TypeError" for a
// missing or unexpected argument, "OSError" for a key file that cannot be
// read), so that ported tests can tell the cases apart.
type DescriptionError struct {
	Description string
	Kind        string
	Msg         string
	Err         error // the underlying error, if any (a file's, a certificate's)
}

func (e *DescriptionError) Error() string {
	return fmt.Sprintf("endpoint description %q: %s", e.Description, e.Msg)
}

// Unwrap returns the underlying error.
func (e *DescriptionError) Unwrap() error { return e.Err }

// Kinds of DescriptionError, after the Python exception Twisted raises.
const (
	KindValue = "ValueError"
	KindType  = "TypeError"
	KindOS    = "OSError"
)

// Tokens of a description, as Twisted's _tokenize yields them: strings and
// the operators ':' and '='. After '=', only ':' is an operator, so a value
// may hold '='; a backslash takes the next character literally.
type token struct {
	op  byte // ':' or '=', or 0 for a string
	str string
}

func tokenize(desc string) ([]token, error) {
	var toks []token
	var cur strings.Builder
	ops := ":="
	for i := 0; i < len(desc); i++ {
		c := desc[i]
		switch {
		case strings.IndexByte(ops, c) >= 0:
			toks = append(toks, token{str: cur.String()}, token{op: c})
			cur.Reset()
			if c == ':' {
				ops = ":="
			} else {
				ops = ":"
			}
		case c == '\\':
			i++
			if i == len(desc) {
				// Python's generator ends in StopIteration → RuntimeError.
				return nil, fmt.Errorf("trailing backslash")
			}
			cur.WriteByte(desc[i])
		default:
			cur.WriteByte(c)
		}
	}
	return append(toks, token{str: cur.String()}), nil
}

// parse ports Twisted's _parse: the ':'-separated parts without '=' are
// positional, in order; name=value parts are keywords (the last one of a
// name wins, as in a Python dict).
func parse(desc string) (args []string, kw map[string]string, order []string, err error) {
	toks, err := tokenize(desc)
	if err != nil {
		return nil, nil, nil, err
	}
	kw = map[string]string{}
	var sofar []string
	add := func() {
		if len(sofar) == 1 {
			args = append(args, sofar[0])
			return
		}
		if _, seen := kw[sofar[0]]; !seen {
			order = append(order, sofar[0])
		}
		kw[sofar[0]] = sofar[1]
	}
	for _, t := range toks {
		switch {
		case t.op == 0:
			sofar = append(sofar, t.str)
		case t.op == ':':
			add()
			sofar = nil
		}
	}
	add()
	return args, kw, order, nil
}

// signature describes a Python function's parameters, to bind a
// description's arguments as Python would: positionals fill the names in
// order, keywords by name; a name given twice, an unknown keyword, too
// many positionals or a missing required name is a TypeError.
type signature struct {
	fn       string
	names    []string
	defaults map[string]string // a default; absent: required (or see none)
	none     map[string]bool   // defaults to None
	extraOK  bool              // **kwargs: unknown keywords are kept
	dropArgs bool              // *args: extra positionals are accepted
}

// bound is the result of binding: a value per name; absent means None.
type bound map[string]string

func (s signature) bind(desc string, args []string, kw map[string]string, order []string) (bound, error) {
	typeErr := func(format string, a ...any) error {
		return &DescriptionError{Description: desc, Kind: KindType, Msg: s.fn + "() " + fmt.Sprintf(format, a...)}
	}
	if len(args) > len(s.names) && !s.dropArgs {
		return nil, typeErr("takes at most %d positional arguments but %d were given", len(s.names), len(args))
	}
	b := bound{}
	for i, a := range args {
		if i < len(s.names) {
			b[s.names[i]] = a
		}
	}
	for _, k := range order {
		known := false
		for _, n := range s.names {
			known = known || n == k
		}
		if !known && !s.extraOK {
			return nil, typeErr("got an unexpected keyword argument %q", k)
		}
		if _, dup := b[k]; dup && known {
			return nil, typeErr("got multiple values for argument %q", k)
		}
		b[k] = kw[k]
	}
	for _, n := range s.names {
		if _, ok := b[n]; ok {
			continue
		}
		if d, ok := s.defaults[n]; ok {
			b[n] = d
		} else if !s.none[n] {
			return nil, typeErr("missing required argument: %q", n)
		}
	}
	return b, nil
}

// pyInt converts as Python's int(s, base) does for the plain forms:
// surrounding spaces, a sign, underscores between digits.
func pyInt(desc, name, s string, base int) (int, error) {
	t := strings.TrimSpace(s)
	n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), base, 64)
	if err != nil || t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, &DescriptionError{Description: desc, Kind: KindValue,
			Msg: fmt.Sprintf("invalid literal for int() with base %d: %q (%s)", base, s, name)}
	}
	return int(n), nil
}

// QuoteStringArgument ports quoteStringArgument: s with its backslashes and
// colons escaped, to be put in a description as one argument.
func QuoteStringArgument(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}
