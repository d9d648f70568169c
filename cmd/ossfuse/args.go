package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ossfuse/ossfuse/fs"
	"github.com/ossfuse/ossfuse/internal/units"
	"github.com/ossfuse/ossfuse/ossio"
)

// Requests other than mounting that the command line can make.
var (
	errHelp         = errors.New("help requested")
	errHelpMarkdown = errors.New("markdown help requested")
	errVersion      = errors.New("version requested")
)

// setting is one option as the command line gave it, before it is applied.
type setting struct {
	name, value string
	hasValue    bool
	// afterSecret names the secret option that came before this setting in
	// the same -o list. If that secret held an unescaped comma, this
	// setting is a piece of it, so no error may show its name or value.
	afterSecret string
}

// commandLine is the command line split into its positionals and settings.
type commandLine struct {
	positional []string
	settings   []setting
}

// splitArgs reads `BUCKET[:/PREFIX] MOUNTPOINT [flags] [-o opt[,opt...]]...`
// in any order, as mount helpers pass it. Every option of the table is
// accepted as -o name[=value], --name=value, --name value (options taking a
// value) and --name (switches); -f is --foreground; after -- everything is
// positional. It returns errHelp, errHelpMarkdown or errVersion when asked.
func splitArgs(args []string, table []option) (commandLine, error) {
	var cl commandLine
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			cl.positional = append(cl.positional, args[i+1:]...)
			return cl, nil
		case a == "-h" || a == "--help":
			return cl, errHelp
		case a == "--help-markdown":
			return cl, errHelpMarkdown
		case a == "-V" || a == "--version":
			return cl, errVersion
		case a == "-f":
			cl.settings = append(cl.settings, setting{name: "foreground"})
		case a == "-o":
			if i+1 == len(args) {
				return cl, errors.New("-o needs a list of options")
			}
			i++
			cl.settings = append(cl.settings, splitOptionList(args[i], table)...)
		case strings.HasPrefix(a, "-o"):
			cl.settings = append(cl.settings, splitOptionList(a[2:], table)...)
		case strings.HasPrefix(a, "--"):
			s := parseSetting(a[2:])
			o, ok := findOption(table, s.name)
			if ok && o.value != "" && !s.hasValue {
				if i+1 == len(args) {
					return cl, fmt.Errorf("option %s needs a value: --%s=%s", s.name, s.name, o.value)
				}
				i++
				s.value, s.hasValue = args[i], true
			}
			cl.settings = append(cl.settings, s)
		case strings.HasPrefix(a, "-") && a != "-":
			return cl, fmt.Errorf("unknown flag %s (see --help)", shownFlag(a, table))
		default:
			cl.positional = append(cl.positional, a)
		}
	}
	return cl, nil
}

// splitOptionList splits a comma-separated -o list into settings. As in
// libfuse (and so ossfs), a backslash makes the next character literal
// (`\,` is a comma inside a value, `\\` a backslash), or with three octal
// digits names a byte (`\054` is a comma). The settings after the
// first secret option are marked with its name, since an unescaped comma
// in the secret would have cut it there.
func splitOptionList(list string, table []option) []setting {
	var out []setting
	secret := ""
	for _, item := range splitEscaped(list) {
		if item == "" {
			continue
		}
		s := parseSetting(item)
		s.afterSecret = secret
		if o, ok := findOption(table, s.name); ok && o.secret && secret == "" {
			secret = o.name
		}
		out = append(out, s)
	}
	return out
}

// splitEscaped splits list at the commas that no backslash escapes and
// decodes the escapes as libfuse's fuse_opt does: \ooo (first digit 0 to
// 3) is that byte, \ and any other character is the character; a
// backslash at the very end stays.
func splitEscaped(list string) []string {
	var items []string
	var b strings.Builder
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case c == '\\' && i+3 < len(list) && isOctalByte(list[i+1:i+4]):
			b.WriteByte((list[i+1]-'0')<<6 | (list[i+2]-'0')<<3 | (list[i+3] - '0'))
			i += 3
		case c == '\\' && i+1 < len(list):
			i++
			b.WriteByte(list[i])
		case c == ',':
			items = append(items, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(items, b.String())
}

// isOctalByte reports whether d is three octal digits of a byte (\000 to \377).
func isOctalByte(d string) bool {
	return d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '7' && d[2] >= '0' && d[2] <= '7'
}

// escapeOption writes s so that splitEscaped reads it back as one item.
func escapeOption(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`).Replace(s)
}

func parseSetting(item string) setting {
	name, value, hasValue := strings.Cut(item, "=")
	return setting{name: name, value: value, hasValue: hasValue}
}

// parseArgs parses the command line over defaults and checks that it names
// a bucket, a mount point and an endpoint. Every error is one line naming
// the option or argument at fault; a secret option's value is never shown.
func parseArgs(args []string, defaults config) (config, error) {
	table := options()
	cl, err := splitArgs(args, table)
	if err != nil {
		return defaults, err
	}
	c := defaults
	for _, s := range cl.settings {
		if err := applySetting(&c, table, s); err != nil {
			return c, err
		}
	}
	if len(cl.positional) != 2 {
		return c, fmt.Errorf("want BUCKET[:/PREFIX] MOUNTPOINT, got %d arguments (see --help)", len(cl.positional))
	}
	c.bucket, c.prefix, _ = strings.Cut(cl.positional[0], ":")
	c.prefix = strings.Trim(c.prefix, "/")
	c.mountpoint = cl.positional[1]
	switch {
	case c.bucket == "":
		return c, errors.New("the bucket name is empty: want BUCKET[:/PREFIX] MOUNTPOINT")
	case c.endpoint == "":
		return c, errors.New("option endpoint is required, e.g. -o endpoint=https://oss-cn-hangzhou.aliyuncs.com")
	case (c.accessKeyID == "") != (c.accessKeySecret == ""):
		return c, errors.New("options access_key_id and access_key_secret go together: give both or neither")
	case c.sessionToken != "" && c.accessKeyID == "":
		return c, errors.New("option session_token needs access_key_id and access_key_secret")
	}
	return c, checkPartFits(c)
}

// checkPartFits checks that a part fits in the memory budget: a streaming
// upload holds its part being filled whole, and would wait for ever for
// budget that no one can give back. The error shows defaults only, not
// what was given: a value given after a secret may be a piece of it.
func checkPartFits(c config) error {
	switch {
	case c.memory == 0 && c.partSize > fs.DefaultMemoryBudget:
		return fmt.Errorf("option part_size is larger than memory (%s, the default): a part being written is held in memory whole; raise memory or lower part_size",
			units.FormatBytes(fs.DefaultMemoryBudget))
	case c.memory != 0 && c.partSize == 0 && c.memory < ossio.DefaultPartSize:
		return fmt.Errorf("option memory is smaller than part_size (%s, the default): a part being written is held in memory whole; raise memory or lower part_size",
			units.FormatBytes(ossio.DefaultPartSize))
	case c.memory != 0 && c.partSize > c.memory:
		return errors.New("option part_size is larger than memory: a part being written is held in memory whole; raise memory or lower part_size")
	}
	return nil
}

// applySetting checks one setting against the table and applies it.
func applySetting(c *config, table []option, s setting) error {
	if isFstabNoise(s.name) {
		return nil
	}
	if s.afterSecret != "" {
		if err := applySetting(c, table, setting{name: s.name, value: s.value, hasValue: s.hasValue}); err != nil {
			return fmt.Errorf("an option after %s in the same -o list is unknown or malformed; it is not shown, "+
				"as it may be a piece of the secret: write a comma inside a value as \\,", s.afterSecret)
		}
		return nil
	}
	o, ok := findOption(table, s.name)
	if !ok {
		if secret, ok := secretPrefix(table, s.name); ok {
			// access_key_secret:x or access_key_secretx: a secret with
			// its = mistyped.
			return fmt.Errorf("unknown option starting with %s (not shown, as it may hold the secret; see --help)", secret)
		}
		return fmt.Errorf("unknown option %q (see --help)", s.name)
	}
	switch {
	case o.value == "" && s.hasValue:
		return fmt.Errorf("option %s takes no value", s.name)
	case o.value != "" && !s.hasValue:
		return fmt.Errorf("option %s needs a value: %s=%s", s.name, s.name, o.value)
	}
	if err := o.set(c, s.value); err != nil {
		shown := s.value
		if o.secret {
			shown = "***"
		}
		return fmt.Errorf("option %s=%s: %w", s.name, shown, err)
	}
	return nil
}

// isFstabNoise reports options that mount(8), fstab and systemd pass and
// that mean nothing to ossfuse; they are accepted silently.
func isFstabNoise(name string) bool {
	switch name {
	case "_netdev", "nofail", "auto", "noauto", "defaults", "rw", "dev", "nodev", "suid", "nosuid",
		"exec", "noexec", "user", "nouser", "users", "owner", "group", "atime", "noatime", "diratime",
		"nodiratime", "relatime", "norelatime", "strictatime", "lazytime", "async", "sync", "loud", "silent":
		return true
	}
	return strings.HasPrefix(name, "x-systemd.") || strings.HasPrefix(name, "x-") || name == "comment"
}

// shownFlag is an unknown flag as an error may show it: without its
// value, and without anything after a secret's name (-access_key_secret=x
// or -access_key_secret:x, a dash missing, would show the secret).
func shownFlag(a string, table []option) string {
	name, _, hasValue := strings.Cut(a, "=")
	if secret, ok := secretPrefix(table, strings.TrimLeft(name, "-")); ok {
		return name[:len(name)-len(strings.TrimLeft(name, "-"))] + secret + "..."
	}
	if hasValue {
		return name + "=..."
	}
	return name
}

// secretPrefix returns the secret option that name starts with, if any.
func secretPrefix(table []option, name string) (string, bool) {
	for _, o := range table {
		if o.secret && strings.HasPrefix(name, o.name) {
			return o.name, true
		}
	}
	return "", false
}

func findOption(table []option, name string) (option, bool) {
	for _, o := range table {
		if o.name == name {
			return o, true
		}
	}
	return option{}, false
}
