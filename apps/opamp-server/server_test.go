package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, handler http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	return recorder
}

func TestAgentOutOfSyncGetsConfig(t *testing.T) {
	server := NewServer("receivers: {}")
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	server.now = func() time.Time { return fixed }

	reply, err := server.Handle(AgentToServer{InstanceUID: "agent-1", EffectiveConfigHash: "stale"})
	if err != nil {
		t.Fatal(err)
	}
	if reply.RemoteConfig == nil || reply.RemoteConfig.Config != "receivers: {}" {
		t.Fatalf("expected the remote config, got %+v", reply)
	}
	if reply.RemoteConfig.ConfigHash != ConfigHash("receivers: {}") {
		t.Fatalf("unexpected hash %q", reply.RemoteConfig.ConfigHash)
	}

	reply, err = server.Handle(AgentToServer{InstanceUID: "agent-1", EffectiveConfigHash: ConfigHash("receivers: {}")})
	if err != nil {
		t.Fatal(err)
	}
	if reply.RemoteConfig != nil {
		t.Fatalf("an agent in sync must not be sent the config again, got %+v", reply.RemoteConfig)
	}
	agents := server.Agents()
	if len(agents) != 1 || !agents[0].InSync || !agents[0].Healthy || !agents[0].LastSeen.Equal(fixed) {
		t.Fatalf("unexpected agents %+v", agents)
	}
}

func TestHandleRequiresInstanceUID(t *testing.T) {
	if _, err := NewServer("x").Handle(AgentToServer{}); err == nil {
		t.Fatal("expected an error for a message without instanceUid")
	}
}

func TestHTTPRoundTrip(t *testing.T) {
	server := NewServer("old")
	routes := server.Routes()

	put := httptest.NewRecorder()
	routes.ServeHTTP(put, httptest.NewRequest(http.MethodPut, "/api/config", strings.NewReader("new config")))
	if put.Code != http.StatusOK {
		t.Fatalf("PUT /api/config: %d %s", put.Code, put.Body.String())
	}

	recorder := post(t, routes, "/v1/opamp", `{"instanceUid":"b","agentDescription":{"host.name":"node-1"},"healthy":false}`)
	if recorder.Code != http.StatusOK {
		t.Fatalf("POST /v1/opamp: %d %s", recorder.Code, recorder.Body.String())
	}
	var reply ServerToAgent
	if err := json.Unmarshal(recorder.Body.Bytes(), &reply); err != nil {
		t.Fatal(err)
	}
	if reply.InstanceUID != "b" || reply.RemoteConfig == nil || reply.RemoteConfig.Config != "new config" {
		t.Fatalf("unexpected reply %+v", reply)
	}

	list := httptest.NewRecorder()
	routes.ServeHTTP(list, httptest.NewRequest(http.MethodGet, "/api/agents", nil))
	var body struct {
		Agents []Agent `json:"agents"`
	}
	if err := json.Unmarshal(list.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Agents) != 1 || body.Agents[0].Healthy || body.Agents[0].Description["host.name"] != "node-1" {
		t.Fatalf("unexpected agents %+v", body.Agents)
	}
}

func TestHTTPErrors(t *testing.T) {
	routes := NewServer("x").Routes()
	if code := post(t, routes, "/v1/opamp", "{").Code; code != http.StatusBadRequest {
		t.Fatalf("malformed JSON: got %d", code)
	}
	if code := post(t, routes, "/api/agents", "").Code; code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /api/agents: got %d", code)
	}
	empty := httptest.NewRecorder()
	routes.ServeHTTP(empty, httptest.NewRequest(http.MethodPut, "/api/config", strings.NewReader("  ")))
	if empty.Code != http.StatusBadRequest {
		t.Fatalf("empty config: got %d", empty.Code)
	}
}
