package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ossfuse/ossfuse/internal/units"
)

// config is everything the command line says. Every option is parsed in
// this file, from one table, so that flags, -o options of fstab and mount
// units, and the help text cannot drift apart.
type config struct {
	bucket, prefix, mountpoint string
	foreground                 bool

	endpoint, region         string
	signatureV1, pathStyle   bool
	attrFromList             bool
	attrTTL, entryTTL        time.Duration
	negativeTTL              time.Duration
	uid, gid                 uint32
	umask, fileMode, dirMode uint32
	memory                   int64
	allowOther, readOnly     bool
	cacheDir                 string
	debug                    bool

	accessKeyID, accessKeySecret, sessionToken string
	passwdFile                                 string
	ramRole, ramRoleEndpoint                   string
	credentialProcess                          string

	metricsAddr string
}

// option is one -o name[=value].
type option struct {
	name  string
	value string // the value's placeholder in the help; "" for a switch
	help  string
	set   func(c *config, v string) error
}

// options is the table of -o options.
func options() []option {
	return []option{
		{"endpoint", "URL", "OSS endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com (required)", func(c *config, v string) error { c.endpoint = v; return nil }},
		{"region", "REGION", "region of the bucket, for V4 signatures (default cn-hangzhou)", func(c *config, v string) error { c.region = v; return nil }},
		{"sigv1", "", "sign requests with signature V1 instead of V4", func(c *config, _ string) error { c.signatureV1 = true; return nil }},
		{"path_style", "", "address the bucket in the path instead of the host name", func(c *config, _ string) error { c.pathStyle = true; return nil }},
		{"attr_from_list", "", "take readdir attributes from listings alone (no HEAD per entry; mount defaults for mode and owner)", func(c *config, _ string) error { c.attrFromList = true; return nil }},
		{"attr_ttl", "DURATION", "how long attributes and listings are trusted (default 5s)", durationOption(func(c *config) *time.Duration { return &c.attrTTL })},
		{"entry_ttl", "DURATION", "how long the kernel trusts a name (default attr_ttl)", durationOption(func(c *config) *time.Duration { return &c.entryTTL })},
		{"negative_ttl", "DURATION", "how long \"no such file\" is trusted (default 5s)", durationOption(func(c *config) *time.Duration { return &c.negativeTTL })},
		{"uid", "N", "owner of objects without ossfs metadata (default: the mounting user)", uintOption(10, func(c *config) *uint32 { return &c.uid })},
		{"gid", "N", "group of objects without ossfs metadata (default: the mounting group)", uintOption(10, func(c *config) *uint32 { return &c.gid })},
		{"umask", "OOO", "octal umask applied to default modes (default 022)", uintOption(8, func(c *config) *uint32 { return &c.umask })},
		{"file_mode", "OOO", "octal mode of files without ossfs metadata (default 0644)", uintOption(8, func(c *config) *uint32 { return &c.fileMode })},
		{"dir_mode", "OOO", "octal mode of directories without ossfs metadata (default 0755)", uintOption(8, func(c *config) *uint32 { return &c.dirMode })},
		{"memory", "BYTES", "byte budget for file data in flight, e.g. 256MiB", func(c *config, v string) (err error) { c.memory, err = units.ParseBytes(v); return err }},
		{"allow_other", "", "let other users than the mounting one use the mount", func(c *config, _ string) error { c.allowOther = true; return nil }},
		{"ro", "", "mount read-only", func(c *config, _ string) error { c.readOnly = true; return nil }},
		{"cache_dir", "DIR", "where files being written are staged (default: a directory under $TMPDIR)", func(c *config, v string) error { c.cacheDir = v; return nil }},
		{"debug", "", "log every failure and decision verbosely", func(c *config, _ string) error { c.debug = true; return nil }},
		{"access_key_id", "ID", "access key ID (credentials: these options, else OSS_ACCESS_KEY_ID..., else a passwd file, else ram_role, else credential_process)", func(c *config, v string) error { c.accessKeyID = v; return nil }},
		{"access_key_secret", "SECRET", "access key secret, with access_key_id", func(c *config, v string) error { c.accessKeySecret = v; return nil }},
		{"session_token", "TOKEN", "STS security token, with access_key_id and access_key_secret", func(c *config, v string) error { c.sessionToken = v; return nil }},
		{"passwd_file", "FILE", "ossfs passwd file of BUCKET:ID:SECRET or ID:SECRET lines, mode 0600 (default ~/.passwd-ossfs, then /etc/passwd-ossfs)", func(c *config, v string) error { c.passwdFile = v; return nil }},
		{"ram_role", "NAME", "ECS RAM role whose temporary credentials the mount uses, refreshed before they expire", func(c *config, v string) error { c.ramRole = v; return nil }},
		{"ram_role_endpoint", "URL", "instance metadata service of ram_role (default http://100.100.100.200)", func(c *config, v string) error { c.ramRoleEndpoint = v; return nil }},
		{"metrics_addr", "HOST:PORT", "serve Prometheus metrics at http://HOST:PORT/metrics (off by default; keep it on loopback)", func(c *config, v string) error { c.metricsAddr = v; return nil }},
		{"credential_process", "COMMAND", "shell command printing credentials as JSON, run again before they expire (see docs/OPERATIONS.md)", func(c *config, v string) error { c.credentialProcess = v; return nil }},
	}
}

// fstabNoise are options mount(8), fstab and systemd pass that mean nothing
// to ossfuse; they are accepted silently.
func isFstabNoise(name string) bool {
	switch name {
	case "_netdev", "nofail", "auto", "noauto", "defaults", "rw", "dev", "nodev", "suid", "nosuid",
		"exec", "noexec", "user", "nouser", "users", "atime", "noatime", "relatime", "async", "sync":
		return true
	}
	return strings.HasPrefix(name, "x-systemd.") || strings.HasPrefix(name, "comment=")
}

func durationOption(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 5s or 500ms")
		}
		*field(c) = d
		return nil
	}
}

func uintOption(base int, field func(*config) *uint32) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseUint(v, base, 32)
		if err != nil {
			if base == 8 {
				return fmt.Errorf("want an octal number such as 022")
			}
			return fmt.Errorf("want a non-negative integer")
		}
		*field(c) = uint32(n)
		return nil
	}
}

// errHelp asks for the usage text.
var errHelp = errors.New("help requested")

// parseArgs reads `BUCKET[:/PREFIX] MOUNTPOINT [-f] [-o opt[,opt...]]...`,
// options and positionals in any order, as mount helpers pass them.
func parseArgs(args []string, defaults config) (config, error) {
	c := defaults
	var positional []string
	table := options()
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-h" || a == "--help":
			return c, errHelp
		case a == "-f" || a == "--foreground":
			c.foreground = true
		case a == "-o":
			if i+1 == len(args) {
				return c, errors.New("-o needs a list of options")
			}
			i++
			if err := applyOptions(&c, table, args[i]); err != nil {
				return c, err
			}
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			if err := applyOptions(&c, table, a[2:]); err != nil {
				return c, err
			}
		case strings.HasPrefix(a, "-") && a != "-":
			return c, fmt.Errorf("unknown flag %s (see --help)", a)
		default:
			positional = append(positional, a)
		}
	}
	if len(positional) != 2 {
		return c, fmt.Errorf("want BUCKET[:/PREFIX] MOUNTPOINT, got %d arguments", len(positional))
	}
	c.bucket, c.prefix, _ = strings.Cut(positional[0], ":")
	c.prefix = strings.TrimPrefix(c.prefix, "/")
	c.mountpoint = positional[1]
	if c.endpoint == "" {
		return c, errors.New("option endpoint is required, e.g. -o endpoint=https://oss-cn-hangzhou.aliyuncs.com")
	}
	return c, nil
}

// applyOptions applies a comma-separated -o list.
func applyOptions(c *config, table []option, list string) error {
	for _, item := range strings.Split(list, ",") {
		if item == "" {
			continue
		}
		name, value, hasValue := strings.Cut(item, "=")
		if isFstabNoise(name) || isFstabNoise(item) {
			continue
		}
		o, ok := findOption(table, name)
		if !ok {
			return fmt.Errorf("unknown option %q (see --help)", name)
		}
		if o.value == "" && hasValue {
			return fmt.Errorf("option %s takes no value", name)
		}
		if o.value != "" && !hasValue {
			return fmt.Errorf("option %s needs a value: %s=%s", name, name, o.value)
		}
		if err := o.set(c, value); err != nil {
			return fmt.Errorf("option %s=%s: %w", name, value, err)
		}
	}
	return nil
}

func findOption(table []option, name string) (option, bool) {
	for _, o := range table {
		if o.name == name {
			return o, true
		}
	}
	return option{}, false
}

// usage is the --help text.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: ossfuse BUCKET[:/PREFIX] MOUNTPOINT [-f] -o endpoint=URL[,opt[=value]...]\n\n")
	b.WriteString("Mounts an Alibaba Cloud OSS bucket, or a prefix of it, at MOUNTPOINT.\n")
	b.WriteString("Credentials come from OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and OSS_SESSION_TOKEN.\n\n")
	b.WriteString("  -f, --foreground   stay in the foreground (logs on stderr)\n  -h, --help         this text\n\noptions (-o):\n")
	for _, o := range options() {
		name := o.name
		if o.value != "" {
			name += "=" + o.value
		}
		fmt.Fprintf(&b, "  %-22s %s\n", name, o.help)
	}
	return b.String()
}
