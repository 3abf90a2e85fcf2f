package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestEnginesAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	db := Database(t)
	if _, err := db.Collection("probe").InsertOne(ctx, bson.M{"_id": "a", "n": 1}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got struct{ N int }
	if err := db.Collection("probe").FindOne(ctx, bson.M{"_id": "a"}).Decode(&got); err != nil || got.N != 1 {
		t.Fatalf("find: %v %+v", err, got)
	}

	brokers := KafkaBrokers(t)
	topic := Name(t, "probe")
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		t.Fatalf("dial kafka: %v", err)
	}
	defer conn.Close()
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v")}); err != nil {
		t.Fatalf("write: %v", err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil || string(m.Value) != "v" {
		t.Fatalf("read: %v %q", err, m.Value)
	}
}
