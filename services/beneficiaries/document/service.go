package document

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// EventDocumentAdded is published on events.TopicBeneficiaries when a document is attached to a file.
const EventDocumentAdded = "be.cpas.beneficiaries.document.added.v1"

// DocumentAddedData is its payload: metadata only, never the content nor the client's file name (it may name
// the person).
type DocumentAddedData struct {
	DocumentID  string `json:"document_id"`
	FileID      string `json:"file_id"`
	Type        Type   `json:"type"`
	Restricted  bool   `json:"restricted"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// DefaultMaxBytes is the default largest content (BENEFICIARIES_DOCUMENT_MAX_BYTES).
const DefaultMaxBytes = 20 << 20

// UploadInput is an upload: the type, the client's file name and the content (already read, at most MaxBytes
// plus one byte so a larger content is recognised).
type UploadInput struct {
	Type           string
	Name           string
	Content        []byte
	IdempotencyKey string
}

// View is a document's metadata as the API shows it.
type View struct {
	ID          string    `json:"id"`
	Version     int64     `json:"version"`
	FileID      string    `json:"file_id"`
	Type        Type      `json:"type"`
	Restricted  bool      `json:"restricted"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Name        string    `json:"name"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

func view(r Record) View {
	d := r.State
	return View{ID: r.ID, Version: r.Version, FileID: d.FileID, Type: d.Type, Restricted: d.Restricted, ContentType: d.ContentType,
		Size: d.Size, SHA256: d.SHA256, Name: d.Name, UploadedBy: d.UploadedBy, UploadedAt: d.UploadedAt}
}

// List is a file's documents the caller may see, newest first.
type List struct {
	FileID string `json:"file_id"`
	Items  []View `json:"items"`
}

// Content is a document to download: its metadata and a stream of its bytes (the caller closes it).
type Content struct {
	View
	Body io.ReadCloser
}

// Service is the document use cases.
type Service interface {
	Upload(ctx context.Context, a file.Actor, fileID string, in UploadInput) (v View, replayed bool, err error)
	List(ctx context.Context, a file.Actor, purpose, fileID string) (List, error)
	Get(ctx context.Context, a file.Actor, purpose, id string) (View, error)
	Download(ctx context.Context, a file.Actor, purpose, id string) (Content, error)
	Remove(ctx context.Context, a file.Actor, id string, version int64, reason string) error
	// RetentionDue lists the tenant's documents whose retention is over (the head): those it may purge, and
	// those a legal hold keeps.
	RetentionDue(ctx context.Context, a file.Actor) (DueList, error)
	// Purge deletes for good the documents named whose retention is over and whose file is not under legal
	// hold (the head), with a reason; each deletion is audited. Purging again changes nothing.
	Purge(ctx context.Context, a file.Actor, in PurgeInput) (PurgeResult, error)
}

// DueItem is a document whose retention is over: ids, type, file number and dates; never a name nor content.
type DueItem struct {
	DocumentID string     `json:"document_id"`
	FileID     string     `json:"file_id"`
	FileNumber string     `json:"file_number"`
	Type       Type       `json:"type"`
	From       string     `json:"from"`
	StartOn    civil.Date `json:"start_on"`
	DueOn      civil.Date `json:"due_on"`
	Removed    bool       `json:"removed"`
	LegalHold  bool       `json:"legal_hold"`
}

// DueList is what retention allows to delete today, oldest due first; items under legal hold are listed but
// cannot be purged.
type DueList struct {
	AsOf      civil.Date `json:"as_of"`
	Retention string     `json:"retention"`
	Items     []DueItem  `json:"items"`
}

// PurgeInput names the documents to purge and why.
type PurgeInput struct {
	DocumentIDs []string `json:"document_ids"`
	Reason      string   `json:"reason"`
}

// PurgeSkip is a document a purge kept, and why: "legal_hold" or "not_due".
type PurgeSkip struct {
	DocumentID string `json:"document_id"`
	Reason     string `json:"reason"`
}

// PurgeResult is what a purge did: the documents deleted, those kept, and those already gone (deleted by an
// earlier purge, or never in the tenant).
type PurgeResult struct {
	Purged  []string    `json:"purged"`
	Skipped []PurgeSkip `json:"skipped"`
	Absent  []string    `json:"absent"`
}

// Config tunes the service.
type Config struct {
	// MaxBytes [DefaultMaxBytes] is the largest content accepted.
	MaxBytes int64
	// Idempotency, when set, makes an upload with an Idempotency-Key safe to retry.
	Idempotency *idempotency.Store
	// Retention [DefaultRetention] is the period of each document type.
	Retention Retention
	Now       func() time.Time
}

type service struct {
	repo     *Repository
	files    file.Service
	fileRepo *file.Repository
	audit    *file.Auditor
	logger   *slog.Logger
	cfg      Config
}

// NewService assembles the document use cases on top of the file service (which decides who sees which file)
// and the file repository (retention reads closures and legal holds whoever the files are assigned to).
func NewService(repo *Repository, files file.Service, fileRepo *file.Repository, auditor *file.Auditor, logger *slog.Logger, cfg Config) Service {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Retention == nil {
		cfg.Retention = DefaultRetention()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &service{repo: repo, files: files, fileRepo: fileRepo, audit: auditor, logger: logger, cfg: cfg}
}

func (s *service) Upload(ctx context.Context, a file.Actor, fileID string, in UploadInput) (View, bool, error) {
	f, _, err := s.files.VisibleFile(ctx, a, fileID)
	if err != nil {
		return View{}, false, err
	}
	if int64(len(in.Content)) > s.cfg.MaxBytes {
		return View{}, false, ErrTooLarge
	}
	typ, err := ParseType(in.Type)
	if err != nil {
		return View{}, false, err
	}
	if len(in.Content) == 0 {
		return View{}, false, problem.Invalid(problem.Field("file", "required"))
	}
	ct, err := Sniff(in.Content)
	if err != nil {
		return View{}, false, err
	}
	if f.State.Status == file.StatusClosed {
		return View{}, false, file.ErrClosed
	}
	sum := sha256.Sum256(in.Content)
	digest := hex.EncodeToString(sum[:])
	name := CleanName(in.Name, ct)

	var scope idempotency.Scope
	if in.IdempotencyKey != "" && s.cfg.Idempotency != nil {
		if !idempotency.ValidKey(in.IdempotencyKey) {
			return View{}, false, problem.Invalid(problem.Field(idempotency.HeaderKey, "invalid"))
		}
		scope = idempotency.Scope{Tenant: a.Tenant, Principal: a.UserID, Key: in.IdempotencyKey}
		hash := idempotency.RequestHash("POST", "/v1/files/"+fileID+"/documents", []byte(string(typ)+"\n"+name+"\n"+digest))
		stored, err := s.cfg.Idempotency.Reserve(ctx, scope, hash)
		switch {
		case errors.Is(err, idempotency.ErrKeyReused):
			return View{}, false, problem.New(problem.IdempotencyKeyReused)
		case errors.Is(err, idempotency.ErrInProgress):
			return View{}, false, problem.New(problem.RequestInProgress)
		case err != nil:
			return View{}, false, err
		case stored != nil:
			var v View
			if err := json.Unmarshal(stored.Body, &v); err != nil {
				return View{}, false, fmt.Errorf("document: replay: %w", err)
			}
			return v, true, nil
		}
	}
	v, err := s.store(ctx, a, fileID, typ, ct, name, digest, in.Content)
	if scope.Key != "" {
		ictx := context.WithoutCancel(ctx)
		if err != nil {
			if rerr := s.cfg.Idempotency.Release(ictx, scope); rerr != nil {
				s.logger.ErrorContext(ctx, "idempotency: release failed", "error", rerr.Error())
			}
		} else if body, merr := json.Marshal(v); merr == nil {
			if cerr := s.cfg.Idempotency.Complete(ictx, scope, idempotency.Response{Status: 201, Body: body}); cerr != nil {
				s.logger.ErrorContext(ctx, "idempotency: storing the response failed", "error", cerr.Error())
			}
		}
	}
	return v, false, err
}

func (s *service) store(ctx context.Context, a file.Actor, fileID string, typ Type, ct, name, digest string, content []byte) (View, error) {
	id := uuid.NewString()
	d := Document{FileID: fileID, Type: typ, Restricted: typ.Restricted(), ContentType: ct, Size: int64(len(content)),
		SHA256: digest, Name: name, UploadedBy: a.UserID, UploadedAt: s.cfg.Now().UTC().Truncate(time.Millisecond)}
	corr := httpkit.RequestID(ctx)
	if corr == "" {
		corr = id
	}
	ev, err := events.New(EventDocumentAdded, file.EventSource, a.Tenant, id, corr, DocumentAddedData{DocumentID: id, FileID: fileID,
		Type: typ, Restricted: d.Restricted, ContentType: ct, Size: d.Size, SHA256: digest})
	if err != nil {
		return View{}, err
	}
	if err := s.repo.Store(ctx, a.Tenant, id, d, bytes.NewReader(content), ev); err != nil {
		return View{}, err
	}
	s.audit.Record(ctx, a, file.Entry{Action: "document.upload", ResourceType: "document", ResourceID: id, FileID: fileID})
	return view(Record{ID: id, Tenant: a.Tenant, Version: 1, State: d}), nil
}

func (s *service) List(ctx context.Context, a file.Actor, purpose, fileID string) (List, error) {
	if err := file.CheckPurpose(purpose); err != nil {
		return List{}, err
	}
	_, v, err := s.files.VisibleFile(ctx, a, fileID)
	if err != nil {
		s.denied(ctx, a, err, "document.list", "file", fileID, fileID, purpose)
		return List{}, err
	}
	recs, err := s.repo.OfFile(ctx, a.Tenant, fileID)
	if err != nil {
		return List{}, err
	}
	out := List{FileID: fileID, Items: []View{}}
	for _, r := range recs {
		if r.State.VisibleTo(v) {
			out.Items = append(out.Items, view(r))
		}
	}
	s.audit.Record(ctx, a, file.Entry{Action: "document.list", ResourceType: "file", ResourceID: fileID, FileID: fileID, Purpose: purpose})
	return out, nil
}

// denied audits a refused read of something that exists in the tenant.
func (s *service) denied(ctx context.Context, a file.Actor, err error, action, resType, resID, fileID, purpose string) {
	if errors.Is(err, file.ErrNotFound) || errors.Is(err, ErrNotFound) {
		s.audit.Record(ctx, a, file.Entry{Action: action, ResourceType: resType, ResourceID: resID, FileID: fileID, Purpose: purpose, Outcome: audit.OutcomeDenied})
	}
}

// visible loads a document the actor may see: its file visible to them, the document not removed, not
// restricted to others. Anything else is ErrNotFound, audited as denied when the document exists.
func (s *service) visible(ctx context.Context, a file.Actor, id, action, purpose string) (Record, file.Viewer, error) {
	rec, err := s.repo.Load(ctx, a.Tenant, id)
	if err != nil {
		return Record{}, file.Viewer{}, err
	}
	_, v, err := s.files.VisibleFile(ctx, a, rec.State.FileID)
	if err == nil && !rec.State.VisibleTo(v) {
		err = ErrNotFound
	}
	if err != nil {
		s.denied(ctx, a, err, action, "document", id, rec.State.FileID, purpose)
		return Record{}, v, err
	}
	return rec, v, nil
}

func (s *service) Get(ctx context.Context, a file.Actor, purpose, id string) (View, error) {
	if err := file.CheckPurpose(purpose); err != nil {
		return View{}, err
	}
	rec, _, err := s.visible(ctx, a, id, "document.read", purpose)
	if err != nil {
		return View{}, err
	}
	s.audit.Record(ctx, a, file.Entry{Action: "document.read", ResourceType: "document", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return view(rec), nil
}

func (s *service) Download(ctx context.Context, a file.Actor, purpose, id string) (Content, error) {
	if err := file.CheckPurpose(purpose); err != nil {
		return Content{}, err
	}
	rec, _, err := s.visible(ctx, a, id, "document.download", purpose)
	if err != nil {
		return Content{}, err
	}
	body, err := s.repo.Open(ctx, id)
	if err != nil {
		return Content{}, err
	}
	s.audit.Record(ctx, a, file.Entry{Action: "document.download", ResourceType: "document", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return Content{View: view(rec), Body: body}, nil
}

func (s *service) Remove(ctx context.Context, a file.Actor, id string, version int64, reason string) error {
	rec, v, err := s.visible(ctx, a, id, "document.remove", "")
	if err != nil {
		return err
	}
	if !v.Head {
		return fmt.Errorf("%w: only the head removes a document", ErrForbidden)
	}
	if _, err := s.repo.Update(ctx, a.Tenant, id, version, func(d *Document) error {
		return d.Remove(a.UserID, reason, s.cfg.Now())
	}); err != nil {
		return err
	}
	s.audit.Record(ctx, a, file.Entry{Action: "document.remove", ResourceType: "document", ResourceID: id, FileID: rec.State.FileID})
	return nil
}

func (s *service) requireHead(a file.Actor) error {
	if a.Tenant == "" || a.UserID == "" {
		return problem.New(problem.Unauthorized)
	}
	if !a.IsHead() {
		return fmt.Errorf("%w: retention is the head's", ErrForbidden)
	}
	return nil
}

// schedules computes the retention schedule of every document of the tenant whose retention started, with
// its file.
func (s *service) schedules(ctx context.Context, tenant string, only func(Record) bool) ([]Record, map[string]file.FileRecord, map[string]Schedule, error) {
	closed, err := s.fileRepo.ClosedFiles(ctx, tenant)
	if err != nil {
		return nil, nil, nil, err
	}
	closedIDs := make([]string, 0, len(closed))
	for _, f := range closed {
		closedIDs = append(closedIDs, f.ID)
	}
	docs, err := s.repo.RetentionCandidates(ctx, tenant, closedIDs)
	if err != nil {
		return nil, nil, nil, err
	}
	var ids []string
	kept := docs[:0]
	for _, d := range docs {
		if only == nil || only(d) {
			kept = append(kept, d)
			ids = append(ids, d.State.FileID)
		}
	}
	files, err := s.fileRepo.FilesByID(ctx, tenant, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	scheds := map[string]Schedule{}
	for _, d := range kept {
		if f, ok := files[d.State.FileID]; ok {
			if sc, started := s.cfg.Retention.ScheduleOf(d.State, f.State); started {
				scheds[d.ID] = sc
			}
		}
	}
	return kept, files, scheds, nil
}

func (s *service) RetentionDue(ctx context.Context, a file.Actor) (DueList, error) {
	if err := s.requireHead(a); err != nil {
		return DueList{}, err
	}
	today := civil.Of(s.cfg.Now())
	docs, files, scheds, err := s.schedules(ctx, a.Tenant, nil)
	if err != nil {
		return DueList{}, err
	}
	out := DueList{AsOf: today, Retention: s.cfg.Retention.String(), Items: []DueItem{}}
	for _, d := range docs {
		sc, ok := scheds[d.ID]
		if !ok || sc.Due.After(today) {
			continue
		}
		out.Items = append(out.Items, DueItem{DocumentID: d.ID, FileID: d.State.FileID, FileNumber: files[d.State.FileID].State.Number,
			Type: d.State.Type, From: sc.From, StartOn: sc.Start, DueOn: sc.Due, Removed: d.State.Removal != nil, LegalHold: sc.Held})
	}
	slices.SortFunc(out.Items, func(x, y DueItem) int {
		if c := x.DueOn.Compare(y.DueOn); c != 0 {
			return c
		}
		return strings.Compare(x.DocumentID, y.DocumentID)
	})
	s.audit.Record(ctx, a, file.Entry{Action: "retention.read", ResourceType: "retention", ResourceID: a.Tenant})
	return out, nil
}

const maxPurge = 500

func (s *service) Purge(ctx context.Context, a file.Actor, in PurgeInput) (PurgeResult, error) {
	if err := s.requireHead(a); err != nil {
		return PurgeResult{}, err
	}
	var fs problem.Fields
	reason := strings.TrimSpace(in.Reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		fs.Add("reason", "required")
	case n > maxReason:
		fs.Add("reason", "too_long", "max", maxReason)
	}
	ids := make([]string, 0, len(in.DocumentIDs))
	for _, id := range in.DocumentIDs {
		id = strings.ToLower(strings.TrimSpace(id))
		if !servicekit.IsUUID(id) {
			ids = nil
			fs.Add("document_ids", "invalid")
			break
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case ids == nil:
	case len(ids) == 0:
		fs.Add("document_ids", "required")
	case len(ids) > maxPurge:
		fs.Add("document_ids", "out_of_range", "min", 1, "max", maxPurge)
	}
	if err := fs.Err(); err != nil {
		return PurgeResult{}, err
	}
	today := civil.Of(s.cfg.Now())
	docs, files, scheds, err := s.schedules(ctx, a.Tenant, func(r Record) bool { return slices.Contains(ids, r.ID) })
	if err != nil {
		return PurgeResult{}, err
	}
	found := map[string]Record{}
	for _, d := range docs {
		found[d.ID] = d
	}
	res := PurgeResult{Purged: []string{}, Skipped: []PurgeSkip{}, Absent: []string{}}
	batch := PurgeRecord{ID: uuid.NewString(), Tenant: a.Tenant, At: s.cfg.Now().UTC().Truncate(time.Millisecond), By: a.UserID, Reason: reason}
	var failure error
	for _, id := range ids {
		d, ok := found[id]
		if !ok {
			// Not a candidate: gone already, another tenant's, or in use (an open file's document not removed).
			if _, err := s.repo.Load(ctx, a.Tenant, id); errors.Is(err, ErrNotFound) {
				res.Absent = append(res.Absent, id)
			} else if err != nil {
				return res, err
			} else {
				res.Skipped = append(res.Skipped, PurgeSkip{DocumentID: id, Reason: "not_due"})
			}
			continue
		}
		sc, started := scheds[id]
		switch {
		case started && sc.Held:
			res.Skipped = append(res.Skipped, PurgeSkip{DocumentID: id, Reason: "legal_hold"})
			continue
		case !started || !sc.DueOn(today):
			res.Skipped = append(res.Skipped, PurgeSkip{DocumentID: id, Reason: "not_due"})
			continue
		}
		deleted, err := s.repo.Delete(ctx, a.Tenant, id)
		if err != nil {
			failure = err
			break
		}
		if !deleted {
			res.Absent = append(res.Absent, id)
			continue
		}
		res.Purged = append(res.Purged, id)
		batch.Documents = append(batch.Documents, PurgedRecord{DocumentID: id, FileID: d.State.FileID,
			FileNumber: files[d.State.FileID].State.Number, Type: d.State.Type, DueOn: sc.Due})
		s.audit.Record(ctx, a, file.Entry{Action: "document.purge", ResourceType: "document", ResourceID: id, FileID: d.State.FileID})
	}
	// The record of what was deleted is kept even when a deletion failed half-way.
	if len(batch.Documents) > 0 {
		if err := s.repo.InsertPurge(context.WithoutCancel(ctx), batch); err != nil {
			failure = errors.Join(failure, err)
		}
	}
	return res, failure
}
