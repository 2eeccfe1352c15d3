package app

import (
	"io"
	"testing"
)

func TestParseRateFlags(t *testing.T) {
	getenv := func(string) string { return "" }
	cfg, err := ParseFlags("t", nil, io.Discard, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateIP != DefaultRateIP || cfg.RateLogin != DefaultRateLogin {
		t.Fatalf("defaults: -rate-ip %d, -rate-login %d; want %d, %d", cfg.RateIP, cfg.RateLogin, DefaultRateIP, DefaultRateLogin)
	}
	if DefaultRateIP > 60 || DefaultRateLogin != 5 {
		t.Fatalf("DefaultRateIP %d must be at most 60 and DefaultRateLogin %d 5 (REFERENCE-API.md)", DefaultRateIP, DefaultRateLogin)
	}
	cfg, err = ParseFlags("t", []string{"-rate-ip", "7", "-rate-login", "1000000"}, io.Discard, getenv)
	if err != nil || cfg.RateIP != 7 || cfg.RateLogin != 1000000 {
		t.Fatalf("-rate-ip 7 -rate-login 1000000: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-rate-ip", "0"}, {"-rate-ip", "-1"}, {"-rate-login", "0"}, {"-rate-login", "x"}, {"-rate-ip", "100000001"},
	} {
		if _, err := ParseFlags("t", args, io.Discard, getenv); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
