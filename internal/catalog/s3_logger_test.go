package catalog_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
)

// TestS3SDKLogsNothing: without credentials the SDK tries the instance
// metadata service, and where that refuses a token it logs "WARN falling
// back to IMDSv1" on stderr unless told not to. Opening a store fails
// with an error, and writes nothing on stderr itself.
func TestS3SDKLogsNothing(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut { // the IMDSv2 token
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer imds.Close()
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer s3.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, openErr := catalog.NewS3(context.Background(), "backups", "", catalog.Options{S3Endpoint: s3.URL})
	os.Stderr = stderr
	w.Close()
	logged, _ := io.ReadAll(r)
	if openErr == nil {
		t.Error("a store opened without credentials")
	}
	if len(logged) > 0 {
		t.Errorf("the SDK wrote on stderr: %q", logged)
	}
}
