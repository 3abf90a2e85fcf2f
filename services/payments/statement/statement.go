// Package statement imports the bank statements of the CPAS's accounts: camt.053.001.02 and .001.08 (package
// camt) and CODA 2.6 (package coda), streamed from the upload to the parser. A statement is imported once (same
// account and sequence, or statement id when the bank gives no sequence: "already imported", nothing changes);
// its continuity is checked (opening + booked entries = closing; it follows the account's previous statement:
// next sequence number, opening = previous closing); a file that is malformed, truncated, of another version or
// carries a DOCTYPE is refused with the line and element, and nothing of it is imported. The lines are written in
// a staging state while the file streams (chunks of 500 lines, one document each) and the statements flip to
// imported only when the whole file was read and checked; the reconciliation (package reconcile) then runs on the
// imported statements.
package statement

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Collections.
const (
	CollStatements = "statements"
	CollLines      = "statement_lines"
)

// ChunkSize is the number of lines kept in one document of statement_lines.
const ChunkSize = 500

// Statuses of a statement: staging while its file is read, imported once the whole file was checked,
// reconciled once its lines went through the reconciliation.
const (
	StatusStaging    = "staging"
	StatusImported   = "imported"
	StatusReconciled = "reconciled"
)

// Counts are the reconciliation's outcome for a statement.
type Counts struct {
	Lines         int `bson:"lines" json:"lines"`
	Booked        int `bson:"booked" json:"booked"`                 // payments booked (one batch line books many)
	BookedLines   int `bson:"booked_lines" json:"booked_lines"`     // lines that booked payments
	Returned      int `bson:"returned" json:"returned"`             // payments returned
	Receivables   int `bson:"receivables" json:"receivables"`       // credits taken by the receivables
	Unmatched     int `bson:"unmatched" json:"unmatched"`           // lines in the reconciliation queue
	NotBooked     int `bson:"not_booked" json:"not_booked"`         // pending or information lines, left aside
	ManualMatches int `bson:"manual_matches" json:"manual_matches"` // lines matched by hand since
}

// Statement is one imported account statement.
type Statement struct {
	Header     `bson:",inline"`
	Key        string    `bson:"key" json:"-"`
	Format     string    `bson:"format" json:"format"`
	Status     string    `bson:"status" json:"status"`
	ImportID   string    `bson:"import_id" json:"import_id"`
	FileName   string    `bson:"file_name,omitempty" json:"file_name,omitempty"`
	FileSHA256 string    `bson:"file_sha256,omitempty" json:"file_sha256,omitempty"`
	Lines      int       `bson:"lines" json:"lines"`
	Chunks     int       `bson:"chunks" json:"-"`
	CreditsCts int64     `bson:"credits_cents" json:"credits_cents"`
	DebitsCts  int64     `bson:"debits_cents" json:"debits_cents"`
	ImportedBy string    `bson:"imported_by" json:"imported_by"`
	ImportedAt time.Time `bson:"imported_at" json:"imported_at"`
	Counts     Counts    `bson:"counts" json:"counts"`
	// ReconciledAt is when the reconciliation finished (zero while pending: retried by the housekeeping).
	ReconciledAt time.Time `bson:"reconciled_at,omitzero" json:"reconciled_at,omitzero"`
}

// Record is a stored statement.
type Record = store.Versioned[Statement]

// Chunk is a document of up to ChunkSize lines of a statement.
type Chunk struct {
	ID          string `bson:"_id"`
	Tenant      string `bson:"tenant"`
	StatementID string `bson:"statement_id"`
	N           int    `bson:"n"`
	Lines       []Line `bson:"lines"`
}

// LineID names a line of a statement for the other packages (ledger drill-down, receivables).
func LineID(statementID string, index int) string { return statementID + ":" + strconv.Itoa(index) }

// ParseLineID splits a line id.
func ParseLineID(id string) (string, int, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == ':' {
			n, err := strconv.Atoi(id[i+1:])
			return id[:i], n, err == nil && n >= 0
		}
	}
	return "", 0, false
}

func chunkID(statementID string, n int) string { return statementID + "/" + strconv.Itoa(n) }

// Reconciler reconciles an imported statement (package reconcile).
type Reconciler interface {
	Reconcile(ctx context.Context, tenant, statementID string) (Counts, error)
}

// Service imports statements.
type Service struct {
	Statements *store.Repository[Statement]
	lines      *mongo.Collection
	Audit      *kit.Auditor
	Reconciler Reconciler
	// MaxBytes bounds an uploaded file.
	MaxBytes int64
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultMaxBytes is the largest statement file accepted unless configured otherwise (a camt.053 of 100,000
// entries is about 75 MB).
const DefaultMaxBytes = 200 << 20

// NewService works on db.
func NewService(db *mongo.Database, audit *kit.Auditor) *Service {
	return &Service{Statements: store.NewRepository[Statement](db.Collection(CollStatements), nil), lines: db.Collection(CollLines),
		Audit: audit, MaxBytes: DefaultMaxBytes}
}

// EnsureIndexes creates the indexes: the list by account and sequence, the lookup by key, a statement's chunks.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollStatements),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "account", Value: 1}, {Key: "sequence", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "imported_at", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}}}); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollLines),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "statement_id", Value: 1}, {Key: "n", Value: 1}}})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// StatementKey identifies a statement of an account whatever the file it came in: the year of its opening
// balance and its sequence number, or its id when the bank gives no sequence.
func StatementKey(h *Header) string {
	if h.Sequence > 0 {
		return fmt.Sprintf("%s/%d/%d", h.Account, h.Opening.Date.Year(), h.Sequence)
	}
	return h.Account + "/id/" + h.StatementID
}

// StatementReport is what the import did with one statement of the file.
type StatementReport struct {
	ID          string `json:"id"`
	StatementID string `json:"statement_id"`
	Account     string `json:"account"`
	Sequence    int64  `json:"sequence"`
	Lines       int    `json:"lines"`
	// Status: imported, reconciled, or already_imported (nothing changed).
	Status string `json:"status"`
	Counts Counts `json:"counts"`
}

// Report is the outcome of an import.
type Report struct {
	ImportID   string            `json:"import_id"`
	Format     string            `json:"format"`
	Version    string            `json:"version"`
	FileName   string            `json:"file_name,omitempty"`
	SHA256     string            `json:"sha256"`
	Bytes      int64             `json:"bytes"`
	Statements []StatementReport `json:"statements"`
	Totals     Counts            `json:"totals"`
	// AlreadyImported: every statement of the file was imported before; nothing changed.
	AlreadyImported bool `json:"already_imported"`
}

// StatusCode is 201 when something was imported, 200 when the file was already imported.
func (r Report) StatusCode() int {
	if r.AlreadyImported {
		return 200
	}
	return 201
}

// countingHash hashes and counts what is read, and stops past max bytes.
type countingHash struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	max  int64
	over bool
}

func (c *countingHash) Read(p []byte) (int, error) {
	if c.over {
		return 0, errTooLarge
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		c.over = true
		return n, errTooLarge
	}
	return n, err
}

// staged is a statement written in the staging state by this import.
type staged struct {
	id     string
	header Header
}

// Import reads the statement file from body (streamed; format "" is told from the first bytes) and imports its
// statements, then reconciles them. Nothing is imported when the file is refused.
func (s *Service) Import(ctx context.Context, a kit.Actor, format, name string, body io.Reader) (Report, error) {
	ch := &countingHash{r: body, h: sha256.New(), max: s.MaxBytes}
	br := bufio.NewReaderSize(ch, 64<<10)
	sniffed, err := sniff(br)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		if ch.over {
			return Report{}, &problem.Error{Type: problem.PayloadTooLarge, Fields: []problem.FieldError{problem.Field("file", "body_too_large", "max", s.MaxBytes)}}
		}
		return Report{}, readError(err)
	}
	if sniffed == "" {
		return Report{}, problem.Invalid(problem.Field("file", "payments.statement_format"))
	}
	if format != "" && format != sniffed {
		return Report{}, problem.Invalid(problem.Field("format", "payments.statement_format_mismatch"))
	}
	format = sniffed
	importID := schedule.DeterministicID(a.Tenant, "import", a.UserID, strconv.FormatInt(s.now().UnixNano(), 10))
	rep := Report{ImportID: importID, Format: format, FileName: name, Statements: []StatementReport{}}
	var mine []staged
	fail := func(err error) (Report, error) {
		s.discard(context.WithoutCancel(ctx), a.Tenant, mine)
		if ch.over || errors.Is(err, errTooLarge) || isMaxBytes(err) {
			return Report{}, &problem.Error{Type: problem.PayloadTooLarge, Fields: []problem.FieldError{problem.Field("file", "body_too_large", "max", s.MaxBytes)}}
		}
		var fe *FileError
		if errors.As(err, &fe) {
			s.Audit.Record(ctx, a, kit.Entry{Action: "statement.import", ResourceType: "statement_import", ResourceID: importID, Outcome: "denied"})
			return Report{}, fileProblem(fe)
		}
		return Report{}, err
	}
	src := newSource(format, br)
	var prev *Header // the previous statement of the file, when on the same account
	for {
		h, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if rep.Version == "" {
			rep.Version = h.Version
		}
		if h.Currency != "" && h.Currency != "EUR" {
			return fail(&FileError{Code: "payments.statement_currency", Line: h.Line, Element: "Acct/Ccy"})
		}
		key := StatementKey(h)
		id := schedule.DeterministicID(a.Tenant, "statement", key)
		existing, err := s.Statements.Load(ctx, a.Tenant, id)
		already := err == nil && existing.State.Status != StatusStaging
		switch {
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return fail(err)
		case err == nil && existing.State.Status == StatusStaging:
			if s.now().Sub(existing.State.ImportedAt) < 15*time.Minute {
				return fail(problem.New(problem.Conflict).With("code", "payments.statement_in_progress"))
			}
			s.discard(ctx, a.Tenant, []staged{{id: id}}) // left by a crash: taken over
		}
		if !already {
			if err := s.checkSequence(ctx, a.Tenant, h, prev); err != nil {
				return fail(err)
			}
			st := Statement{Header: *h, Key: key, Format: format, Status: StatusStaging, ImportID: importID, FileName: name,
				ImportedBy: a.UserID, ImportedAt: s.now().UTC().Truncate(time.Millisecond)}
			if err := s.Statements.Insert(ctx, a.Tenant, id, st); err != nil {
				if errors.Is(err, store.ErrDuplicate) {
					return fail(problem.New(problem.Conflict).With("code", "payments.statement_in_progress"))
				}
				return fail(err)
			}
			mine = append(mine, staged{id: id})
		}
		// Read the lines (also those of an already imported statement: the file must be whole and valid).
		var buf []Line
		n, chunks := 0, 0
		var credits, debits int64
		for {
			l, err := src.line()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fail(err)
			}
			n++
			if l.Booked {
				if l.Credit {
					credits += l.AmountCents
				} else {
					debits += l.AmountCents
				}
			}
			if already {
				continue
			}
			buf = append(buf, *l)
			if len(buf) == ChunkSize {
				if err := s.writeChunk(ctx, a.Tenant, id, chunks, buf); err != nil {
					return fail(err)
				}
				chunks++
				buf = buf[:0]
			}
		}
		sr := StatementReport{ID: id, StatementID: h.StatementID, Account: h.Account, Sequence: h.Sequence, Lines: n}
		if already {
			sr.Status, sr.Counts = "already_imported", existing.State.Counts
			rep.Statements = append(rep.Statements, sr)
			prev = h
			continue
		}
		if len(buf) > 0 {
			if err := s.writeChunk(ctx, a.Tenant, id, chunks, buf); err != nil {
				return fail(err)
			}
			chunks++
		}
		hc := *h
		mine[len(mine)-1].header = hc
		_, err = s.Statements.Update(ctx, a.Tenant, id, func(x *Statement) ([]events.Event, error) {
			x.Header, x.Lines, x.Chunks, x.CreditsCts, x.DebitsCts = hc, n, chunks, credits, debits
			x.Counts.Lines = n
			return nil, nil
		})
		if err != nil {
			return fail(err)
		}
		sr.Status = StatusImported
		rep.Statements = append(rep.Statements, sr)
		prev = h
	}
	if len(rep.Statements) == 0 {
		return fail(&FileError{Code: "payments.statement_empty", Line: 1, Element: "Document"})
	}
	rep.SHA256, rep.Bytes = hex.EncodeToString(ch.h.Sum(nil)), ch.n
	// The whole file was read and checked: the staged statements become imported.
	for _, m := range mine {
		if _, err := s.Statements.Update(ctx, a.Tenant, m.id, func(x *Statement) ([]events.Event, error) {
			x.Status, x.FileSHA256 = StatusImported, rep.SHA256
			return nil, nil
		}); err != nil {
			return fail(err)
		}
	}
	rep.AlreadyImported = len(mine) == 0
	s.Audit.Record(ctx, a, kit.Entry{Action: "statement.import", ResourceType: "statement_import", ResourceID: importID})
	for i, sr := range rep.Statements {
		if sr.Status != StatusImported {
			continue
		}
		if s.Reconciler != nil {
			c, err := s.Reconciler.Reconcile(ctx, a.Tenant, sr.ID)
			if err == nil {
				rep.Statements[i].Status, rep.Statements[i].Counts = StatusReconciled, c
			}
			// On failure the statement stays imported and the housekeeping reconciles it later.
		}
	}
	for _, sr := range rep.Statements {
		if sr.Status == "already_imported" {
			continue
		}
		add(&rep.Totals, sr.Counts)
	}
	return rep, nil
}

func add(t *Counts, c Counts) {
	t.Lines += c.Lines
	t.Booked += c.Booked
	t.BookedLines += c.BookedLines
	t.Returned += c.Returned
	t.Receivables += c.Receivables
	t.Unmatched += c.Unmatched
	t.NotBooked += c.NotBooked
	t.ManualMatches += c.ManualMatches
}

var errTooLarge = errors.New("statement: file too large")

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func readError(err error) error {
	if isMaxBytes(err) {
		return &problem.Error{Type: problem.PayloadTooLarge, Fields: []problem.FieldError{problem.Field("file", "body_too_large")}}
	}
	return problem.Invalid(problem.Field("file", "payments.statement_unreadable"))
}

// fileProblem is the 422 naming the line and element of the refusal.
func fileProblem(fe *FileError) error {
	el := fe.Element
	if el == "" {
		el = "Document"
	}
	params := []any{"line", max(fe.Line, 1), "element", el}
	if fe.Detail != "" {
		params = append(params, "detail", fe.Detail)
	}
	return problem.Invalid(problem.Field("file", fe.Code, params...))
}

// checkSequence verifies that h follows the account's previous statement (prev in the same file, else the last
// one imported): next sequence number (or 1 in a new year) and opening balance = previous closing balance.
func (s *Service) checkSequence(ctx context.Context, tenant string, h *Header, prev *Header) error {
	if prev == nil || prev.Account != h.Account {
		var last []Record
		last, err := s.Statements.Find(ctx, tenant, bson.D{{Key: "account", Value: h.Account},
			{Key: "status", Value: bson.D{{Key: "$ne", Value: StatusStaging}}}},
			options.Find().SetSort(bson.D{{Key: "opening.date", Value: -1}, {Key: "sequence", Value: -1}}).SetLimit(1))
		if err != nil {
			return err
		}
		if len(last) == 0 {
			return nil // the account's first statement here
		}
		p := last[0].State.Header
		prev = &p
		if !h.Opening.Date.After(prev.Opening.Date) && h.Sequence != 0 && h.Sequence < prev.Sequence {
			// An older statement than the last one imported (a late file): accepted without the sequence check,
			// it cannot follow the last one.
			return nil
		}
	}
	if h.Sequence != 0 && prev.Sequence != 0 {
		newYear := h.Sequence == 1 && h.Opening.Date.Year() > prev.Opening.Date.Year()
		if h.Sequence != prev.Sequence+1 && !newYear {
			return &FileError{Code: "payments.statement_gap", Line: h.Line, Element: seqElement(h),
				Detail: fmt.Sprintf("sequence %d after %d", h.Sequence, prev.Sequence)}
		}
	}
	if h.Opening.Cents != prev.Closing.Cents {
		return &FileError{Code: "payments.statement_opening", Line: h.Line, Element: openingElement(h),
			Detail: fmt.Sprintf("opens at %s after a close at %s", euros(h.Opening.Cents), euros(prev.Closing.Cents))}
	}
	return nil
}

func seqElement(h *Header) string {
	if h.Version == "" || h.Version[0] == 'c' && len(h.Version) > 4 && h.Version[:5] == "coda." {
		return "record 1 sequence number"
	}
	return "Stmt/ElctrncSeqNb"
}

func openingElement(h *Header) string {
	if len(h.Version) > 4 && h.Version[:5] == "coda." {
		return "record 1 old balance"
	}
	return "Stmt/Bal (OPBD)"
}

func euros(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func (s *Service) writeChunk(ctx context.Context, tenant, statementID string, n int, lines []Line) error {
	doc := Chunk{ID: chunkID(statementID, n), Tenant: tenant, StatementID: statementID, N: n, Lines: lines}
	if _, err := s.lines.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("statement: write lines: %w", err)
	}
	return nil
}

// discard removes staged statements and their lines (a refused file, or one a crash left staging).
func (s *Service) discard(ctx context.Context, tenant string, list []staged) {
	for _, m := range list {
		_, _ = s.lines.DeleteMany(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "statement_id", Value: m.id}})
		_, _ = s.Statements.Collection().DeleteOne(ctx, bson.D{{Key: "_id", Value: m.id}, {Key: "tenant", Value: tenant},
			{Key: "status", Value: StatusStaging}})
	}
}

// Lines is the access to the statements' lines the reconciliation needs.
type Lines struct{ coll *mongo.Collection }

// LinesOn works on db.
func LinesOn(db *mongo.Database) Lines { return Lines{coll: db.Collection(CollLines)} }

// Chunk reads chunk n of a statement.
func (l Lines) Chunk(ctx context.Context, tenant, statementID string, n int) (Chunk, error) {
	var c Chunk
	err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: chunkID(statementID, n)}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && c.Tenant != tenant) {
		return Chunk{}, kit.ErrNotFound
	}
	return c, err
}

// Line reads one line by its id.
func (l Lines) Line(ctx context.Context, tenant, lineID string) (Line, string, error) {
	sid, i, ok := ParseLineID(lineID)
	if !ok {
		return Line{}, "", kit.ErrNotFound
	}
	c, err := l.Chunk(ctx, tenant, sid, i/ChunkSize)
	if err != nil {
		return Line{}, "", err
	}
	for _, x := range c.Lines {
		if x.Index == i {
			return x, sid, nil
		}
	}
	return Line{}, "", kit.ErrNotFound
}

// SetOutcomes records the reconciliation's outcome of lines of chunk n (index → outcome).
func (l Lines) SetOutcomes(ctx context.Context, tenant, statementID string, n int, outcomes map[int]string) error {
	if len(outcomes) == 0 {
		return nil
	}
	id := chunkID(statementID, n)
	unlock := store.LockDocument(l.coll, id)
	defer unlock()
	c, err := l.Chunk(ctx, tenant, statementID, n)
	if err != nil {
		return err
	}
	set := bson.D{}
	for i, x := range c.Lines {
		if o, ok := outcomes[x.Index]; ok && x.Outcome != o {
			set = append(set, bson.E{Key: "lines." + strconv.Itoa(i) + ".out", Value: o})
		}
	}
	if len(set) == 0 {
		return nil
	}
	_, err = l.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
	return err
}
