package main

import (
	"time"
)

// config is everything the command line says. Every option is parsed from
// one table, so that flags, -o options of fstab and mount units, the help
// text and README's table cannot drift apart.
type config struct {
	bucket, prefix, mountpoint string

	endpoint, region       string
	signatureV1, pathStyle bool
	caFile                 string
	insecure               bool
	requestTimeout         time.Duration

	accessKeyID, accessKeySecret, sessionToken string
	passwdFile                                 string
	ramRole, ramRoleEndpoint                   string
	credentialProcess                          string

	uid, gid                                 uint32
	umask, fileMode, dirMode                 uint32
	allowOther, readOnly                     bool
	defaultPermissions, noDefaultPermissions bool

	attrFromList      bool
	attrTTL, entryTTL time.Duration
	negativeTTL       time.Duration

	memory int64

	cacheDir, recoveryDir string
	stageLimit            int64
	partSize              int64
	parallelism           int
	appendMode            bool

	logLevel, logFile string
	metricsAddr       string
	debug             bool

	foreground   bool
	mountTimeout time.Duration
	nonempty     bool
}

// option is one setting, given as -o name[=value] or --name[=value].
type option struct {
	name  string
	value string // the value's placeholder in the help; "" for a switch
	group group
	// secret options never reach argv of a long-running process, a log
	// line or an error message (see secrets.go).
	secret bool
	help   string
	set    func(c *config, v string) error
}

// group orders the help text; groups print in the order of groups.
type group string

const (
	groupConnection  group = "connection"
	groupCredentials group = "credentials"
	groupOwnership   group = "ownership and permissions"
	groupCaching     group = "caching"
	groupMemory      group = "memory and performance"
	groupWrites      group = "writes"
	groupLogging     group = "logging and metrics"
	groupDaemon      group = "daemon"
)

// groups lists every group in help order.
var groups = []group{groupConnection, groupCredentials, groupOwnership, groupCaching, groupMemory, groupWrites, groupLogging, groupDaemon}

// defaultMountTimeout bounds how long mounting may take, bucket check
// included, before ossfuse gives up with a reason.
const defaultMountTimeout = 30 * time.Second

// options is the table of options, one per line.
func options() []option {
	return []option{
		{name: "endpoint", value: "URL", group: groupConnection, help: "OSS endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com (required)", set: stringOption(func(c *config) *string { return &c.endpoint })},
		{name: "region", value: "REGION", group: groupConnection, help: "region of the bucket, for V4 signatures (default cn-hangzhou)", set: stringOption(func(c *config) *string { return &c.region })},
		{name: "sigv1", group: groupConnection, help: "sign requests with signature V1 instead of V4", set: switchOption(func(c *config) *bool { return &c.signatureV1 })},
		{name: "path_style", group: groupConnection, help: "address the bucket in the path instead of the host name", set: switchOption(func(c *config) *bool { return &c.pathStyle })},
		{name: "ca_file", value: "FILE", group: groupConnection, help: "PEM bundle of the certificate authorities trusted for https (default: the system's)", set: stringOption(func(c *config) *string { return &c.caFile })},
		{name: "insecure", group: groupConnection, help: "do not verify the endpoint's TLS certificate (tests only)", set: switchOption(func(c *config) *bool { return &c.insecure })},
		{name: "request_timeout", value: "DURATION", group: groupConnection, help: "fail a request with ETIMEDOUT when nothing moves for this long (connecting, awaiting the answer, a stalled transfer); retried once, above zero (default 30s)", set: durationOption(0, func(c *config) *time.Duration { return &c.requestTimeout })},
		{name: "access_key_id", value: "ID", group: groupCredentials, help: "access key ID (default: $OSS_ACCESS_KEY_ID)", set: stringOption(func(c *config) *string { return &c.accessKeyID })},
		{name: "access_key_secret", value: "SECRET", group: groupCredentials, secret: true, help: "access key secret (default: $OSS_ACCESS_KEY_SECRET)", set: stringOption(func(c *config) *string { return &c.accessKeySecret })},
		{name: "passwd_file", value: "FILE", group: groupCredentials, help: "ossfs passwd file of BUCKET:ID:SECRET or ID:SECRET lines, mode 0600, owned by the mounting user or root (default ~/.passwd-ossfs, then /etc/passwd-ossfs)", set: stringOption(func(c *config) *string { return &c.passwdFile })},
		{name: "ram_role", value: "NAME", group: groupCredentials, help: "ECS RAM role whose temporary credentials the mount uses, refreshed before they expire", set: stringOption(func(c *config) *string { return &c.ramRole })},
		{name: "ram_role_endpoint", value: "URL", group: groupCredentials, help: "instance metadata service of ram_role (default http://100.100.100.200)", set: stringOption(func(c *config) *string { return &c.ramRoleEndpoint })},
		{name: "credential_process", value: "COMMAND", group: groupCredentials, help: "shell command printing credentials as JSON, run again before they expire (see docs/OPERATIONS.md)", set: stringOption(func(c *config) *string { return &c.credentialProcess })},
		{name: "session_token", value: "TOKEN", group: groupCredentials, secret: true, help: "STS security token of temporary credentials (default: $OSS_SESSION_TOKEN)", set: stringOption(func(c *config) *string { return &c.sessionToken })},
		{name: "uid", value: "N", group: groupOwnership, help: "owner of objects without ossfs metadata (default: the mounting user)", set: uintOption(func(c *config) *uint32 { return &c.uid })},
		{name: "gid", value: "N", group: groupOwnership, help: "group of objects without ossfs metadata (default: the mounting group)", set: uintOption(func(c *config) *uint32 { return &c.gid })},
		{name: "umask", value: "OOO", group: groupOwnership, help: "octal umask applied to default modes, 0 to 777 (default 022)", set: modeOption(0, 0o777, "022", func(c *config) *uint32 { return &c.umask })},
		{name: "file_mode", value: "OOO", group: groupOwnership, help: "octal mode of files without ossfs metadata, 1 to 7777 (default 0644)", set: modeOption(1, 0o7777, "0644", func(c *config) *uint32 { return &c.fileMode })},
		{name: "dir_mode", value: "OOO", group: groupOwnership, help: "octal mode of directories without ossfs metadata, 1 to 7777 (default 0755)", set: modeOption(1, 0o7777, "0755", func(c *config) *uint32 { return &c.dirMode })},
		{name: "allow_other", group: groupOwnership, help: "let other users than the mounting one use the mount (implies default_permissions)", set: switchOption(func(c *config) *bool { return &c.allowOther })},
		{name: "default_permissions", group: groupOwnership, help: "let the kernel check access against the mode, owner and group", set: switchOption(func(c *config) *bool { return &c.defaultPermissions })},
		{name: "no_default_permissions", group: groupOwnership, help: "with allow_other, let every user access every file", set: switchOption(func(c *config) *bool { return &c.noDefaultPermissions })},
		{name: "ro", group: groupOwnership, help: "mount read-only", set: switchOption(func(c *config) *bool { return &c.readOnly })},
		{name: "attr_from_list", group: groupCaching, help: "take readdir attributes from listings alone (no HEAD per entry; mount defaults for mode and owner)", set: switchOption(func(c *config) *bool { return &c.attrFromList })},
		{name: "attr_ttl", value: "DURATION", group: groupCaching, help: "how long attributes and listings are trusted, above zero (default 5s)", set: durationOption(0, func(c *config) *time.Duration { return &c.attrTTL })},
		{name: "entry_ttl", value: "DURATION", group: groupCaching, help: "how long the kernel trusts a name, above zero (default attr_ttl)", set: durationOption(0, func(c *config) *time.Duration { return &c.entryTTL })},
		{name: "negative_ttl", value: "DURATION", group: groupCaching, help: "how long \"no such file\" is trusted, above zero (default 5s)", set: durationOption(0, func(c *config) *time.Duration { return &c.negativeTTL })},
		{name: "memory", value: "BYTES", group: groupMemory, help: "bound of the file data held in memory: reads in flight, cached blocks, upload buffers, from part_size to 1PiB (default 256MiB); the process stays within it plus 128MiB", set: bytesOption(partSizeMin, memoryMax, "256MiB", func(c *config) *int64 { return &c.memory })},
		{name: "parallelism", value: "N", group: groupMemory, help: "parts of one file uploading at once (default 4)", set: intOption(1, 1024, func(c *config) *int { return &c.parallelism })},
		{name: "cache_dir", value: "DIR", group: groupWrites, help: "where files being written are staged, and found again after a crash (default /var/cache/ossfuse for root, else ~/.cache/ossfuse)", set: stringOption(func(c *config) *string { return &c.cacheDir })},
		{name: "stage_limit", value: "BYTES", group: groupWrites, help: "most bytes the files being written may stage in cache_dir; a write past it fails with ENOSPC (default: only the disk's free space)", set: bytesOption(partSizeMin, memoryMax, "10GiB", func(c *config) *int64 { return &c.stageLimit })},
		{name: "recovery_dir", value: "DIR", group: groupWrites, help: "where files that could not be uploaded are saved at exit (default /var/lib/ossfuse/recovered for root, else ~/.local/share/ossfuse/recovered)", set: stringOption(func(c *config) *string { return &c.recoveryDir })},
		{name: "part_size", value: "BYTES", group: groupWrites, help: "size of multipart upload parts, 100KiB to 5GiB (default 8MiB)", set: bytesOption(partSizeMin, partSizeMax, "16MiB", func(c *config) *int64 { return &c.partSize })},
		{name: "append_mode", group: groupWrites, help: "create new files as appendable objects that grow at each flush", set: switchOption(func(c *config) *bool { return &c.appendMode })},
		{name: "log_level", value: "LEVEL", group: groupLogging, help: "panic, fatal, error, warn, info, debug or trace (default info)", set: logLevelOption},
		{name: "metrics_addr", value: "HOST:PORT", group: groupLogging, help: "serve Prometheus metrics at http://HOST:PORT/metrics (off by default; keep it on loopback)", set: stringOption(func(c *config) *string { return &c.metricsAddr })},
		{name: "log_file", value: "FILE", group: groupLogging, help: "append the log to FILE, reopened on SIGHUP (default: stderr; discarded in the background)", set: stringOption(func(c *config) *string { return &c.logFile })},
		{name: "debug", group: groupLogging, help: "log every failure and decision verbosely (log_level=debug)", set: switchOption(func(c *config) *bool { return &c.debug })},
		{name: "foreground", group: groupDaemon, help: "stay in the foreground, as -f does (logs on stderr)", set: switchOption(func(c *config) *bool { return &c.foreground })},
		{name: "mount_timeout", value: "DURATION", group: groupDaemon, help: "give up when the bucket or the mount does not answer within this time, up to 24h (default 30s)", set: durationOption(mountTimeoutMax, func(c *config) *time.Duration { return &c.mountTimeout })},
		{name: "nonempty", group: groupDaemon, help: "mount over a directory that holds files (hiding them)", set: switchOption(func(c *config) *bool { return &c.nonempty })},
	}
}
