package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func sampleEvent(t *testing.T) Event {
	t.Helper()
	e, err := New("be.cpas.decisions.decision.adopted.v1", "decisions", "cpas-liege", "3f1c7a52-0d1e-4a43-9a52-1b5f9c1f6b11",
		"corr-1", map[string]any{"amountCents": 123456})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMessageRoundTrip(t *testing.T) {
	e := sampleEvent(t)
	m := ToMessage(TopicDecisions, e)
	if m.Topic != TopicDecisions || string(m.Key) != e.Subject {
		t.Fatalf("topic/key = %s/%s", m.Topic, m.Key)
	}
	want := map[string]string{
		"ce_specversion": "1.0", "ce_id": e.ID, "ce_type": e.Type, "ce_source": "decisions",
		"ce_time": e.Time.Format(time.RFC3339Nano), "ce_subject": e.Subject, "ce_tenant": "cpas-liege",
		"ce_correlationid": "corr-1", "content-type": "application/json",
	}
	if len(m.Headers) != len(want) {
		t.Fatalf("headers = %d, want %d", len(m.Headers), len(want))
	}
	for _, h := range m.Headers {
		if want[h.Key] != string(h.Value) {
			t.Errorf("header %s = %q, want %q", h.Key, h.Value, want[h.Key])
		}
	}
	got, err := FromMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(e.Time) {
		t.Fatalf("time %v != %v", got.Time, e.Time)
	}
	got.Time = e.Time
	if fmt.Sprint(got) != fmt.Sprint(e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
	var data struct{ AmountCents int64 }
	if err := json.Unmarshal(got.Data, &data); err != nil || data.AmountCents != 123456 {
		t.Fatalf("data = %s (%v)", got.Data, err)
	}
}

func TestFromMessageRefuses(t *testing.T) {
	base := ToMessage(TopicDecisions, sampleEvent(t))
	without := func(name string) kafka.Message {
		m := base
		m.Headers = nil
		for _, h := range base.Headers {
			if h.Key != name {
				m.Headers = append(m.Headers, h)
			}
		}
		return m
	}
	with := func(name, value string) kafka.Message {
		m := without(name)
		m.Headers = append(m.Headers, kafka.Header{Key: name, Value: []byte(value)})
		return m
	}
	cases := map[string]kafka.Message{
		"no specversion":    without(HeaderSpecVersion),
		"no id":             without(HeaderID),
		"no type":           without(HeaderType),
		"no source":         without(HeaderSource),
		"no time":           without(HeaderTime),
		"no subject":        without(HeaderSubject),
		"no tenant":         without(HeaderTenant),
		"no correlationid":  without(HeaderCorrelationID),
		"specversion 0.3":   with(HeaderSpecVersion, "0.3"),
		"id not a uuid":     with(HeaderID, "42"),
		"time not rfc3339":  with(HeaderTime, "yesterday"),
		"empty tenant":      with(HeaderTenant, ""),
		"other contenttype": with(HeaderContentType, "text/plain"),
		"repeated id":       {Headers: append(append([]kafka.Header{}, base.Headers...), kafka.Header{Key: HeaderID, Value: []byte("x")}), Value: base.Value},
		"data not json":     {Headers: base.Headers, Value: []byte("{not json")},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := FromMessage(m); !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

func TestNewRefusesMissingAttributes(t *testing.T) {
	cases := []struct{ typ, source, tenant, subject, corr string }{
		{"", "s", "t", "a", "c"},
		{"x", "", "t", "a", "c"},
		{"x", "s", "", "a", "c"},
		{"x", "s", "t", "", "c"},
		{"x", "s", "t", "a", ""},
	}
	for _, c := range cases {
		if _, err := New(c.typ, c.source, c.tenant, c.subject, c.corr, nil); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("New(%+v) err = %v, want ErrInvalidEvent", c, err)
		}
	}
	if _, err := New("x", "s", "t", "a", "c", func() {}); err == nil {
		t.Error("New with unmarshalable data: no error")
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("unknown household")
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", Permanent(nil), false},
		{"plain", base, false},
		{"marked", Permanent(base), true},
		{"wrapped mark", fmt.Errorf("apply: %w", Permanent(base)), true},
	}
	for _, c := range cases {
		if got := IsPermanent(c.err); got != c.want {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, got, c.want)
		}
	}
	if !errors.Is(Permanent(base), base) {
		t.Error("Permanent hides the cause from errors.Is")
	}
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{10, 5 * time.Second}, {1000, 5 * time.Second},
	}
	for _, c := range cases {
		if got := backoff(100*time.Millisecond, 5*time.Second, c.attempt); got != c.want {
			t.Errorf("backoff(%d) = %v, want %v", c.attempt, got, c.want)
		}
	}
}

func TestDefaultTopics(t *testing.T) {
	specs := DefaultTopics(3)
	if len(specs) != 5 || specs[4].Name != "cpas.audit.v1" || specs[0].ReplicationFactor != 3 {
		t.Fatalf("DefaultTopics = %+v", specs)
	}
	if DLQ(TopicPayments) != "cpas.payments.v1.dlq" {
		t.Fatal(DLQ(TopicPayments))
	}
}
