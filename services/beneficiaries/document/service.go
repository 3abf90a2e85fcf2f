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
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
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
}

// Config tunes the service.
type Config struct {
	// MaxBytes [DefaultMaxBytes] is the largest content accepted.
	MaxBytes int64
	// Idempotency, when set, makes an upload with an Idempotency-Key safe to retry.
	Idempotency *idempotency.Store
	Now         func() time.Time
}

type service struct {
	repo   *Repository
	files  file.Service
	audit  *file.Auditor
	logger *slog.Logger
	cfg    Config
}

// NewService assembles the document use cases on top of the file service (which decides who sees which file).
func NewService(repo *Repository, files file.Service, auditor *file.Auditor, logger *slog.Logger, cfg Config) Service {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &service{repo: repo, files: files, audit: auditor, logger: logger, cfg: cfg}
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
