// Command opamp-server is TinyOlly's configuration server for OpenTelemetry Collectors: agents poll
// it with their status and receive the desired collector config when theirs differs (a JSON take on
// OpAMP's AgentToServer/ServerToAgent exchange, standard library only).
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// defaultConfig is offered to agents until an operator PUTs /api/config or -config-file is given.
const defaultConfig = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
exporters:
  otlphttp:
    endpoint: http://tinyolly-receiver:4318
    encoding: json
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp]
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`

func envOr(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok && value != "" {
		return value
	}
	return fallback
}

func main() {
	addr := flag.String("addr", envOr("OPAMP_ADDR", ":4320"), "listen address (env OPAMP_ADDR)")
	configFile := flag.String("config-file", envOr("OPAMP_CONFIG_FILE", ""),
		"collector config offered to agents at startup (env OPAMP_CONFIG_FILE; default: a built-in config)")
	flag.Parse()

	config := defaultConfig
	if *configFile != "" {
		data, err := os.ReadFile(*configFile)
		if err != nil {
			log.Fatalf("reading -config-file: %v", err)
		}
		config = string(data)
	}

	server := NewServer(config)
	httpServer := &http.Server{
		Addr:              *addr,
		Handler:           server.Routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := httpServer.Shutdown(shutdownCtx); err != nil {
			log.Printf("shutdown: %v", err)
		}
	}()

	log.Printf("opamp-server listening on %s (config %s)", *addr, server.Config().ConfigHash[:12])
	if err := httpServer.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("listen: %v", err)
	}
}
