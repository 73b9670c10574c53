package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxBodyBytes bounds agent messages and config uploads.
const maxBodyBytes = 1 << 20

// AgentToServer is the JSON form of the status an agent (a collector's supervisor) reports on each poll.
type AgentToServer struct {
	InstanceUID         string            `json:"instanceUid"`
	SequenceNum         uint64            `json:"sequenceNum"`
	AgentDescription    map[string]string `json:"agentDescription,omitempty"`
	EffectiveConfigHash string            `json:"effectiveConfigHash,omitempty"`
	Healthy             *bool             `json:"healthy,omitempty"`
}

// RemoteConfig is the collector configuration the server wants agents to run.
type RemoteConfig struct {
	Config     string `json:"config"`
	ConfigHash string `json:"configHash"`
}

// ServerToAgent is the reply to an AgentToServer message. RemoteConfig is set only when the agent's
// effective configuration differs from the server's.
type ServerToAgent struct {
	InstanceUID  string        `json:"instanceUid"`
	RemoteConfig *RemoteConfig `json:"remoteConfig,omitempty"`
}

// Agent is what the server knows about one connected agent.
type Agent struct {
	InstanceUID         string            `json:"instanceUid"`
	Description         map[string]string `json:"description,omitempty"`
	EffectiveConfigHash string            `json:"effectiveConfigHash,omitempty"`
	InSync              bool              `json:"inSync"`
	Healthy             bool              `json:"healthy"`
	SequenceNum         uint64            `json:"sequenceNum"`
	LastSeen            time.Time         `json:"lastSeen"`
}

// Server keeps the desired collector config and the agents' last reported status.
type Server struct {
	mu     sync.RWMutex
	config RemoteConfig
	agents map[string]*Agent
	now    func() time.Time
}

// NewServer returns a server offering initialConfig to agents.
func NewServer(initialConfig string) *Server {
	s := &Server{agents: make(map[string]*Agent), now: time.Now}
	s.SetConfig(initialConfig)
	return s
}

// ConfigHash is the hex SHA-256 of a config, the value agents report as effectiveConfigHash.
func ConfigHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:])
}

// SetConfig replaces the desired config; agents receive it on their next poll.
func (s *Server) SetConfig(config string) RemoteConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = RemoteConfig{Config: config, ConfigHash: ConfigHash(config)}
	return s.config
}

// Config returns the desired config.
func (s *Server) Config() RemoteConfig {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.config
}

// Handle records an agent's status and builds the reply.
func (s *Server) Handle(msg AgentToServer) (ServerToAgent, error) {
	if strings.TrimSpace(msg.InstanceUID) == "" {
		return ServerToAgent{}, errors.New("instanceUid is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	agent, ok := s.agents[msg.InstanceUID]
	if !ok {
		agent = &Agent{InstanceUID: msg.InstanceUID}
		s.agents[msg.InstanceUID] = agent
	}
	if msg.AgentDescription != nil {
		agent.Description = msg.AgentDescription
	}
	agent.EffectiveConfigHash = msg.EffectiveConfigHash
	agent.InSync = msg.EffectiveConfigHash == s.config.ConfigHash
	agent.Healthy = msg.Healthy == nil || *msg.Healthy
	agent.SequenceNum = msg.SequenceNum
	agent.LastSeen = s.now().UTC()

	reply := ServerToAgent{InstanceUID: msg.InstanceUID}
	if !agent.InSync {
		config := s.config
		reply.RemoteConfig = &config
	}
	return reply, nil
}

// Agents returns a snapshot of the known agents, sorted by instance UID.
func (s *Server) Agents() []Agent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	agents := make([]Agent, 0, len(s.agents))
	for _, agent := range s.agents {
		agents = append(agents, *agent)
	}
	sort.Slice(agents, func(i, j int) bool { return agents[i].InstanceUID < agents[j].InstanceUID })
	return agents
}

// Routes is the HTTP API:
//
//	POST /v1/opamp    an agent's status (AgentToServer JSON) -> ServerToAgent JSON
//	GET  /api/agents  the known agents
//	GET  /api/config  the desired config; PUT replaces it (the request body is the config)
//	GET  /healthz     liveness
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/opamp", s.handleOpAMP)
	mux.HandleFunc("/api/agents", s.handleAgents)
	mux.HandleFunc("/api/config", s.handleConfig)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func (s *Server) handleOpAMP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	var msg AgentToServer
	decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := decoder.Decode(&msg); err != nil {
		writeError(w, http.StatusBadRequest, "invalid AgentToServer message: "+err.Error())
		return
	}
	reply, err := s.Handle(msg)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

func (s *Server) handleAgents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Agent{"agents": s.Agents()})
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.Config())
	case http.MethodPut:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading config: "+err.Error())
			return
		}
		if strings.TrimSpace(string(body)) == "" {
			writeError(w, http.StatusBadRequest, "the config must not be empty")
			return
		}
		writeJSON(w, http.StatusOK, s.SetConfig(string(body)))
	default:
		methodNotAllowed(w, http.MethodGet+", "+http.MethodPut)
	}
}

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func methodNotAllowed(w http.ResponseWriter, allowed string) {
	w.Header().Set("Allow", allowed)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}
