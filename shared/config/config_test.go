package config_test

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/config"
)

type storeConfig struct {
	DataDir  string `env:"DATA_DIR" default:"./.data"`
	Database string `env:"FIRESTORE_DATABASE"`
}

type functionConfig struct {
	Port        string        `env:"PORT" default:"8080"`
	JWTKey      string        `env:"JWT_KEY" required:"true"`
	Expiration  time.Duration `env:"ORDER_EXPIRATION_WINDOW" default:"15m"`
	Insecure    bool          `env:"COOKIE_INSECURE"`
	MaxOpen     int           `env:"MAX_OPEN_ORDERS" default:"10"`
	AdminEmails []string      `env:"ADMIN_EMAILS"`
	LogLevel    slog.Level    `env:"LOG_LEVEL" default:"info"`
	Store       storeConfig
	Ignored     string `env:"-"`
	Untagged    string
}

func TestLoadAppliesDefaultsAndEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want functionConfig
	}{
		{
			name: "defaults",
			env:  map[string]string{"JWT_KEY": "k"},
			want: functionConfig{Port: "8080", JWTKey: "k", Expiration: 15 * time.Minute, MaxOpen: 10,
				LogLevel: slog.LevelInfo, Store: storeConfig{DataDir: "./.data"}},
		},
		{
			name: "empty values take the default",
			env:  map[string]string{"JWT_KEY": "k", "PORT": "", "DATA_DIR": ""},
			want: functionConfig{Port: "8080", JWTKey: "k", Expiration: 15 * time.Minute, MaxOpen: 10,
				LogLevel: slog.LevelInfo, Store: storeConfig{DataDir: "./.data"}},
		},
		{
			name: "every type set",
			env: map[string]string{
				"PORT": "9090", "JWT_KEY": "k", "ORDER_EXPIRATION_WINDOW": "90s", "COOKIE_INSECURE": "true",
				"MAX_OPEN_ORDERS": "3", "ADMIN_EMAILS": " a@b.dev, ,c@d.dev ", "LOG_LEVEL": "DEBUG",
				"DATA_DIR": "/var/data", "FIRESTORE_DATABASE": "orders", "Ignored": "x", "Untagged": "y",
			},
			want: functionConfig{Port: "9090", JWTKey: "k", Expiration: 90 * time.Second, Insecure: true,
				MaxOpen: 3, AdminEmails: []string{"a@b.dev", "c@d.dev"}, LogLevel: slog.LevelDebug,
				Store: storeConfig{DataDir: "/var/data", Database: "orders"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got functionConfig
			if err := config.Load(config.Map(tc.env), &got); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadNamesWhatIsWrongInOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing required", nil, "config: missing required setting JWT_KEY"},
		{"empty required", map[string]string{"JWT_KEY": ""}, "config: missing required setting JWT_KEY"},
		{"bad duration", map[string]string{"JWT_KEY": "k", "ORDER_EXPIRATION_WINDOW": "15"},
			"config: invalid ORDER_EXPIRATION_WINDOW: must be a duration such as 15m or 1h30m"},
		{"bad bool", map[string]string{"JWT_KEY": "k", "COOKIE_INSECURE": "yes please"},
			"config: invalid COOKIE_INSECURE: must be true or false"},
		{"bad int", map[string]string{"JWT_KEY": "k", "MAX_OPEN_ORDERS": "ten"},
			"config: invalid MAX_OPEN_ORDERS: must be a whole number"},
		{"bad text value", map[string]string{"JWT_KEY": "k", "LOG_LEVEL": "chatty"},
			"config: invalid LOG_LEVEL: must be a valid slog.Level"},
		{"missing and invalid together", map[string]string{"MAX_OPEN_ORDERS": "ten"},
			"config: missing required setting JWT_KEY; invalid MAX_OPEN_ORDERS: must be a whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg functionConfig
			err := config.Load(config.Map(tc.env), &cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("err %q spans several lines", err)
			}
		})
	}
}

func TestLoadListsEveryMissingSetting(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Key    string `env:"STRIPE_KEY" required:"true"`
		Secret string `env:"STRIPE_WEBHOOK_SECRET" required:"true"`
		Sink   string `env:"K_SINK" required:"true" default:"http://localhost:8090"`
	}
	err := config.Load(config.Map(nil), &cfg)
	want := "config: missing required settings STRIPE_KEY, STRIPE_WEBHOOK_SECRET"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestLoadNeverShowsValues(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Window time.Duration `env:"WINDOW"`
	}
	err := config.Load(config.Map(map[string]string{"WINDOW": "sk_live_secret"}), &cfg)
	if err == nil || strings.Contains(err.Error(), "sk_live_secret") {
		t.Errorf("err = %v, want an error that does not repeat the value", err)
	}
}

type validated struct {
	Queue string `env:"CLOUD_TASKS_QUEUE" default:"projects/p/locations/l/queues/q"`
}

func (v *validated) Validate() error {
	if !strings.HasPrefix(v.Queue, "projects/") {
		return errors.New("CLOUD_TASKS_QUEUE must be a full queue path")
	}
	return nil
}

func TestLoadRunsValidateAfterParsing(t *testing.T) {
	t.Parallel()
	var outer struct{ Tasks validated }
	if err := config.Load(config.Map(nil), &outer); err != nil {
		t.Fatalf("Load with the default: %v", err)
	}
	err := config.Load(config.Map(map[string]string{"CLOUD_TASKS_QUEUE": "q"}), &outer)
	want := "config: CLOUD_TASKS_QUEUE must be a full queue path"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestLoadRejectsWhatItCannotFill(t *testing.T) {
	t.Parallel()
	var notStruct string
	var unsupported struct {
		Ports []int `env:"PORTS"`
	}
	tests := []struct {
		name string
		dst  any
		want string
	}{
		{"nil", nil, "config.Load: want a non-nil pointer to a struct"},
		{"not a pointer", functionConfig{}, "config.Load: want a non-nil pointer to a struct"},
		{"pointer to a string", &notStruct, "config.Load: want a non-nil pointer to a struct"},
		{"unsupported field type", &unsupported, "config: invalid PORTS: unsupported field type []int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := config.Load(config.Map(map[string]string{"PORTS": "1,2"}), tc.dst)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestFromEnvReadsTheProcessEnvironment(t *testing.T) {
	t.Setenv("JWT_KEY", "from-env")
	t.Setenv("PORT", "7070")
	var cfg struct {
		Port   string `env:"PORT" default:"8080"`
		JWTKey string `env:"JWT_KEY" required:"true"`
	}
	if err := config.FromEnv(&cfg); err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.JWTKey != "from-env" || cfg.Port != "7070" {
		t.Errorf("got JWT_KEY %q, PORT %q", cfg.JWTKey, cfg.Port)
	}
}
