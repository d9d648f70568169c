// Package credchain finds the credentials ossfuse signs its requests with,
// from the first source that is configured, in this order:
//
//  1. the options access_key_id, access_key_secret and session_token;
//  2. the environment: OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and
//     OSS_SESSION_TOKEN;
//  3. a passwd file in ossfs's format (`bucket:id:secret` or `id:secret`
//     lines): the passwd_file option, else ~/.passwd-ossfs, else
//     /etc/passwd-ossfs;
//  4. the ECS RAM role named by ram_role, from the instance metadata service;
//  5. credential_process, a shell command printing credentials as JSON.
//
// With none of them, requests are anonymous. The first two and passwd
// files give fixed keys; a RAM role and a credential process give
// temporary credentials, which are refreshed in the background before they
// expire (see refreshing), so a mount outlives them.
//
// The package implements the SDK's credentials.CredentialsProvider and
// knows nothing of FUSE nor of the Client: ossio takes any provider. No
// error or log line it makes holds a secret: errors name files, lines,
// options and sources, never their content.
package credchain

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/sirupsen/logrus"
)

// Config is what the command line says about credentials, and where the
// other sources are.
type Config struct {
	// Bucket picks the line of a passwd file.
	Bucket string
	// AccessKeyID, AccessKeySecret and SessionToken are the options of
	// the same names.
	AccessKeyID, AccessKeySecret, SessionToken string
	// PasswdFile is the passwd_file option: when set, the only passwd file
	// read, and it must hold a key for the bucket.
	PasswdFile string
	// DefaultPasswdFiles are read in order when PasswdFile is empty; a
	// missing one, or one without a key for the bucket, is skipped
	// (DefaultPasswdFiles() in production).
	DefaultPasswdFiles []string
	// RAMRole is the ram_role option; RAMRoleEndpoint the metadata service
	// (default DefaultMetadataEndpoint).
	RAMRole, RAMRoleEndpoint string
	// CredentialProcess is the credential_process option.
	CredentialProcess string

	// Getenv reads the environment; nil is os.Getenv.
	Getenv func(string) string
	// Log receives one line when a refresh starts failing; nil discards.
	Log *logrus.Entry
	// Now tells the time for expiry; nil is time.Now.
	Now func() time.Time
}

// Environment variables read by New.
const (
	EnvAccessKeyID     = "OSS_ACCESS_KEY_ID"
	EnvAccessKeySecret = "OSS_ACCESS_KEY_SECRET"
	EnvSessionToken    = "OSS_SESSION_TOKEN"
)

// New returns the provider of the first configured source and a short
// description of that source for the log (never a secret). A nil provider
// means anonymous access. A source that is configured but unusable (half a
// key, a passwd file others may read, a malformed option) is an error
// rather than a reason to try the next one: silently signing with other
// credentials than the ones asked for would be worse.
//
// New reads files but does not contact the metadata service nor run the
// credential process: the first request does, and so fails with the
// source's error if it cannot give credentials.
func New(cfg Config) (credentials.CredentialsProvider, string, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		cfg.Log = logrus.NewEntry(l)
	}
	log := cfg.Log.WithField("component", "credentials")
	if cfg.RAMRoleEndpoint != "" && cfg.RAMRole == "" {
		return nil, "", errors.New("option ram_role_endpoint needs ram_role")
	}

	if cfg.AccessKeyID != "" || cfg.AccessKeySecret != "" || cfg.SessionToken != "" {
		if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
			return nil, "", errors.New("options access_key_id and access_key_secret go together (and session_token needs both)")
		}
		return credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SessionToken), "options", nil
	}

	id, secret, token := cfg.Getenv(EnvAccessKeyID), cfg.Getenv(EnvAccessKeySecret), cfg.Getenv(EnvSessionToken)
	if id != "" || secret != "" || token != "" {
		if id == "" || secret == "" {
			return nil, "", fmt.Errorf("environment: %s and %s go together (and %s needs both)",
				EnvAccessKeyID, EnvAccessKeySecret, EnvSessionToken)
		}
		return credentials.NewStaticCredentialsProvider(id, secret, token), "environment", nil
	}

	if p, source, err := passwdProvider(cfg); p != nil || err != nil {
		return p, source, err
	}

	if cfg.RAMRole != "" {
		endpoint := cfg.RAMRoleEndpoint
		if endpoint == "" {
			endpoint = DefaultMetadataEndpoint
		}
		src, err := newRAMRoleSource(endpoint, cfg.RAMRole)
		if err != nil {
			return nil, "", err
		}
		source := fmt.Sprintf("ram_role %q", cfg.RAMRole)
		return newRefreshing(source, src.fetch, cfg.Now, log), source, nil
	}
	if cfg.CredentialProcess != "" {
		src := processSource{command: cfg.CredentialProcess, timeout: processTimeout}
		return newRefreshing("credential_process", src.fetch, cfg.Now, log), "credential_process", nil
	}
	return nil, "none (anonymous requests)", nil
}

// passwdProvider returns the key of the passwd file that has one for the
// bucket: the explicit passwd_file, or the first default file with a line
// that fits. It returns no provider and no error when no default file has
// one.
func passwdProvider(cfg Config) (credentials.CredentialsProvider, string, error) {
	files, explicit := cfg.DefaultPasswdFiles, false
	if cfg.PasswdFile != "" {
		files, explicit = []string{cfg.PasswdFile}, true
	}
	for _, path := range files {
		key, found, err := readPasswdFile(path, cfg.Bucket)
		switch {
		case err != nil && !explicit && isNotExist(err):
			continue
		case err != nil:
			return nil, "", err
		case !found && explicit:
			return nil, "", fmt.Errorf("passwd file %s has no line for bucket %s and no default id:secret line", path, cfg.Bucket)
		case !found:
			continue
		}
		return credentials.NewStaticCredentialsProvider(key.id, key.secret), "passwd file " + path, nil
	}
	return nil, "", nil
}
