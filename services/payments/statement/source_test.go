package statement

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

// read reads every statement of a file through the format's source.
func read(t *testing.T, format string, data []byte) ([]*Header, [][]*Line, error) {
	t.Helper()
	src := newSource(format, bytes.NewReader(data))
	var hs []*Header
	var ls [][]*Line
	for {
		h, err := src.next()
		if err == io.EOF {
			return hs, ls, nil
		}
		if err != nil {
			return hs, ls, err
		}
		hs = append(hs, h)
		var lines []*Line
		for {
			l, err := src.line()
			if err == io.EOF {
				break
			}
			if err != nil {
				return hs, ls, err
			}
			lines = append(lines, l)
		}
		ls = append(ls, lines)
	}
}

// The parsers' hand-written fixtures (one day: a batch of three payments, a landlord with its OGM, a return with
// AC04, a recovery by OGM, the bank's fees) read the same through camt.053 .08, .02 and CODA.
func TestSourcesReadTheFixturesAlike(t *testing.T) {
	for _, c := range []struct{ format, path, version string }{
		{FormatCAMT, "../camt/testdata/statement-v08.xml", "camt.053.001.08"},
		{FormatCAMT, "../camt/testdata/statement-v02.xml", "camt.053.001.02"},
		{FormatCODA, "../coda/testdata/statement.cod", "coda.2"},
	} {
		t.Run(c.version, func(t *testing.T) {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			sniffed, err := sniff(bufio.NewReader(bytes.NewReader(data)))
			if err != nil || sniffed != c.format {
				t.Fatalf("sniff: %q %v", sniffed, err)
			}
			hs, ls, err := read(t, c.format, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) != 1 || hs[0].Version != c.version || hs[0].Account != "BE68539007547034" || hs[0].Sequence != 233 ||
				hs[0].Opening.Cents != 10000000 || hs[0].Closing.Cents != 9820794 || hs[0].Opening.Date != civil.MustNew(2026, 11, 30) {
				t.Fatalf("header %+v", hs[0])
			}
			if StatementKey(hs[0]) != "BE68539007547034/2026/233" {
				t.Fatalf("key %s", StatementKey(hs[0]))
			}
			lines := ls[0]
			if len(lines) != 5 {
				t.Fatalf("%d lines", len(lines))
			}
			batch := lines[0]
			if batch.Credit || batch.Batch == nil || batch.Batch.PmtInfID != "RUN-2026-12-0001-RIS" || batch.Batch.Count != 3 ||
				len(batch.Txs) != 3 || batch.Txs[1].EndToEndID != "E2E-000002" || batch.Txs[1].IBAN != "BE05068123456775" || batch.AmountCents != 227221 {
				t.Fatalf("batch %+v", batch)
			}
			if l := lines[1]; l.Txs[0].OGM != "123456789002" || l.Batch != nil {
				t.Fatalf("landlord %+v", l)
			}
			if l := lines[2]; !l.Return() || l.Txs[0].ReturnReason != "AC04" || l.Txs[0].EndToEndID != "E2E-000002" || l.AmountCents != 98765 {
				t.Fatalf("return %+v", l)
			}
			if l := lines[3]; !l.Credit || l.Return() || l.Txs[0].OGM != "090933755493" || l.Txs[0].IBAN != "BE62510007547061" || l.Txs[0].EndToEndID != "" {
				t.Fatalf("recovery %+v", l)
			}
			if l := lines[4]; l.Credit || len(l.Txs) > 1 || l.AmountCents != 750 {
				t.Fatalf("fees %+v", l)
			}
			var sum int64
			for _, l := range lines {
				sum += l.Signed()
			}
			if hs[0].Opening.Cents+sum != hs[0].Closing.Cents {
				t.Fatal("lines do not add up")
			}
		})
	}
}

func TestFileErrorsNameTheirPlace(t *testing.T) {
	data, _ := os.ReadFile("../camt/testdata/statement-v08.xml")
	cut := data[:len(data)/2]
	_, _, err := read(t, FormatCAMT, cut)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Code != "payments.statement_truncated" || fe.Line < 2 || !strings.Contains(fe.Element, "Stmt") {
		t.Fatalf("truncated camt: %v", err)
	}
	// A closing balance that the entries do not give.
	bad := bytes.Replace(data, []byte("<Amt Ccy=\"EUR\">98207.94</Amt>"), []byte("<Amt Ccy=\"EUR\">98207.95</Amt>"), 1)
	if _, _, err := read(t, FormatCAMT, bad); !errors.As(err, &fe) || fe.Code != "payments.statement_continuity" || fe.Detail == "" {
		t.Fatalf("unbalanced camt: %v", err)
	}
	cod, _ := os.ReadFile("../coda/testdata/statement.cod")
	lines := bytes.Split(cod, []byte("\r\n"))
	short := bytes.Join(lines[:len(lines)-3], []byte("\r\n"))
	if _, _, err := read(t, FormatCODA, short); !errors.As(err, &fe) || fe.Line < 1 || !strings.HasPrefix(fe.Element, "record") {
		t.Fatalf("cut CODA: %v", err)
	}
}

func TestLineIDsAndFormats(t *testing.T) {
	id := LineID("0b6f0f4e-63a3-4c39-9c1e-5d8f0f0c2a11", 1234)
	if sid, n, ok := ParseLineID(id); !ok || n != 1234 || sid != "0b6f0f4e-63a3-4c39-9c1e-5d8f0f0c2a11" {
		t.Fatalf("%s → %s %d %v", id, sid, n, ok)
	}
	if _, _, ok := ParseLineID("nope"); ok {
		t.Fatal("a line id without index")
	}
	for in, want := range map[[2]string]string{
		{"", "application/xml"}: FormatCAMT, {"coda", "application/xml"}: FormatCODA, {"", "text/plain"}: "",
		{"", "application/x-coda"}: FormatCODA, {"camt.053", ""}: FormatCAMT, {"", "application/octet-stream"}: "",
	} {
		if got, err := formatOf(in[0], in[1]); err != nil || got != want {
			t.Errorf("formatOf%v = %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := formatOf("pdf", ""); err == nil {
		t.Error("an unknown format accepted")
	}
	for in, want := range map[string]string{"\ufeff<?xml": FormatCAMT, "  \n<Document": FormatCAMT, "0000002": FormatCODA, "%PDF": ""} {
		if got, _ := sniff(bufio.NewReader(strings.NewReader(in))); got != want {
			t.Errorf("sniff(%q) = %q, want %q", in, got, want)
		}
	}
}
