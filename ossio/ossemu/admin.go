package ossemu

import (
	"encoding/json"
	"net/http"
	"time"
)

// adminPrefix starts the emulator's own endpoints. No bucket name can
// contain '_', so they never shadow a path-style bucket.
const adminPrefix = "/_ossemu/"

// credentialJSON is a credential as POST /_ossemu/credentials takes it.
type credentialJSON struct {
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	SecurityToken   string    `json:"securityToken,omitempty"`
	Expires         time.Time `json:"expires,omitempty"`
}

// serveAdmin serves the endpoints tests and benchmarks drive the emulator with:
//
//	GET  /_ossemu/stats        request counters (Stats) as JSON
//	POST /_ossemu/reset        zero the counters
//	GET  /_ossemu/faults       the faults being injected (Faults) as JSON
//	POST /_ossemu/faults       replace them
//	POST /_ossemu/credentials  replace the accepted keys: a JSON list of
//	                           {accessKeyId, accessKeySecret, securityToken, expires}
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch route := r.Method + " " + r.URL.Path[len(adminPrefix):]; route {
	case "GET stats":
		writeJSON(s.Stats())
	case "POST reset":
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "GET faults":
		writeJSON(s.faults.get())
	case "POST faults":
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetFaults(f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "POST credentials":
		var list []credentialJSON
		if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
			http.Error(w, "credentials: "+err.Error(), http.StatusBadRequest)
			return
		}
		creds := make([]Credential, len(list))
		for i, c := range list {
			creds[i] = Credential(c)
		}
		s.SetCredentials(creds)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unknown emulator endpoint "+route, http.StatusNotFound)
	}
}
