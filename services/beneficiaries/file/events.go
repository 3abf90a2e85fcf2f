package file

import (
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
)

// EventSource is the ce_source of the events this service publishes.
const EventSource = "entraide-beneficiaries"

// Event types published on events.TopicBeneficiaries (schemas: api/events/beneficiaries/<type>.schema.json).
const (
	EventFileOpened   = "be.cpas.beneficiaries.file.opened.v1"
	EventFileAssigned = "be.cpas.beneficiaries.file.assigned.v1"
	EventFileClosed   = "be.cpas.beneficiaries.file.closed.v1"
	EventTeamChanged  = "be.cpas.beneficiaries.team.changed.v1"
)

// TaskRequestedSuffix ends the type of every task request this package consumes, whatever the producing
// service: be.cpas.<service>.task.requested.v1.
const TaskRequestedSuffix = ".task.requested.v1"

// TaskTopics are the topics task requests come from.
var TaskTopics = []string{events.TopicPayments, events.TopicDecisions}

// FileOpenedData is the payload of file.opened. It names people by id only.
type FileOpenedData struct {
	FileID    string     `json:"file_id"`
	Number    string     `json:"number"`
	PersonID  string     `json:"person_id"`
	Assignee  string     `json:"assignee"`
	TeamID    string     `json:"team_id,omitempty"`
	OpenedOn  civil.Date `json:"opened_on"`
	Origin    Origin     `json:"origin"`
	RequestID string     `json:"request_id,omitempty"`
}

// FileAssignedData is the payload of file.assigned.
type FileAssignedData struct {
	FileID           string `json:"file_id"`
	Number           string `json:"number"`
	Assignee         string `json:"assignee"`
	TeamID           string `json:"team_id,omitempty"`
	PreviousAssignee string `json:"previous_assignee"`
	PreviousTeamID   string `json:"previous_team_id,omitempty"`
}

// FileClosedData is the payload of file.closed: the reason code, never the note.
type FileClosedData struct {
	FileID    string      `json:"file_id"`
	Number    string      `json:"number"`
	ClosedOn  civil.Date  `json:"closed_on"`
	Reason    CloseReason `json:"reason"`
	PersonIDs []string    `json:"person_ids"`
}

// TeamChangedData is the payload of team.changed, emitted when the head creates, updates or deletes a team: the
// whole team as it now is (members are user ids; the name is an organisational label), so a consumer replaces
// its copy. Version is the team's version after the change and orders the changes of one team; a deleted team
// has neither name nor members.
type TeamChangedData struct {
	TeamID  string   `json:"team_id"`
	Name    string   `json:"name,omitempty"`
	Members []string `json:"members"`
	Deleted bool     `json:"deleted"`
	Version int64    `json:"version"`
}
