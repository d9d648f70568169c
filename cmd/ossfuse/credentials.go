package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/internal/credchain"
)

// credentialsTimeout bounds the first fetch of temporary credentials.
const credentialsTimeout = 30 * time.Second

// credentialsFor finds the mount's credentials (see credchain for the
// order of the sources) and names their source; nil means anonymous
// requests. Temporary
// credentials are fetched once now, so that a metadata service or a
// credential process that fails makes the mount fail with its own error,
// not with a signature error from the first request.
func credentialsFor(cfg config, log *logrus.Entry) (credentials.CredentialsProvider, string, error) {
	p, source, err := credchain.New(credchain.Config{
		Bucket:      cfg.bucket,
		AccessKeyID: cfg.accessKeyID, AccessKeySecret: cfg.accessKeySecret, SessionToken: cfg.sessionToken,
		PasswdFile: cfg.passwdFile, DefaultPasswdFiles: credchain.DefaultPasswdFiles(),
		RAMRole: cfg.ramRole, RAMRoleEndpoint: cfg.ramRoleEndpoint,
		CredentialProcess: cfg.credentialProcess,
		Getenv:            os.Getenv,
		Log:               log,
	})
	if err != nil {
		return nil, "", fmt.Errorf("credentials: %w", err)
	}
	if p == nil {
		return nil, source, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), credentialsTimeout)
	defer cancel()
	if _, err := p.GetCredentials(ctx); err != nil {
		return nil, "", err
	}
	return p, source, nil
}
