module github.com/ossfuse/ossfuse

go 1.26.8

require (
	github.com/aliyun/alibabacloud-oss-go-sdk-v2 v1.6.1
	github.com/google/btree v1.1.3
	github.com/hanwen/go-fuse/v2 v2.12.1
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/sirupsen/logrus v1.10.2
	golang.org/x/sync v0.24.0
	golang.org/x/sys v0.28.0
)

require golang.org/x/time v0.4.0 // indirect
