package main

import (
	"fmt"
	"strings"
)

// usage is the --help text: the synopsis, then the options by group.
func usage() string {
	var b strings.Builder
	b.WriteString(`usage: ossfuse [flags] BUCKET[:/PREFIX] MOUNTPOINT [-o opt[,opt[=value]...]]

Mounts an Alibaba Cloud OSS bucket, or a prefix of it, at MOUNTPOINT. Without
-f it runs in the background and returns once the mount answers.

Every option is given as -o name[=value] (as in fstab) or as a flag:
--name=value, --name value, or --name for a switch.

  -f, --foreground   stay in the foreground (logs on stderr)
  -h, --help         this text
  -V, --version      print the version and commit
`)
	table := options()
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		for _, o := range table {
			if o.group != g {
				continue
			}
			fmt.Fprintf(&b, "  %-26s %s\n", optionSynopsis(o), o.help)
		}
	}
	b.WriteString("\nfstab and systemd options (_netdev, nofail, noauto, x-systemd.*, defaults, rw, ...) are accepted and ignored.\n")
	return b.String()
}

// optionSynopsis is name=VALUE, or name for a switch.
func optionSynopsis(o option) string {
	if o.value == "" {
		return o.name
	}
	return o.name + "=" + o.value
}

// helpMarkdown is the options table of README.md (ossfuse --help-markdown);
// a test keeps README's copy equal to it.
func helpMarkdown() string {
	var b strings.Builder
	table := options()
	for _, g := range groups {
		fmt.Fprintf(&b, "\n**%s**\n\n| Option | Meaning |\n|---|---|\n", capitalize(string(g)))
		for _, o := range table {
			if o.group == g {
				fmt.Fprintf(&b, "| `%s` | %s |\n", optionSynopsis(o), strings.ReplaceAll(o.help, "|", `\|`))
			}
		}
	}
	return strings.TrimPrefix(b.String(), "\n")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
