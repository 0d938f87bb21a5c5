package appliances

import (
	"errors"
	"time"
)

// Appliance is one virtual appliance.
type Appliance struct {
	ID         int64
	InstanceID string
	HostName   string
	Provider   string
	// Version is the TOS software version the appliance runs.
	Version string
	// Previous is the version a rollback returns to ("" when none).
	Previous  string
	DVVersion string
	// FailStep, when > 0, makes the next migration of this appliance fail
	// at that step with FailMessage (operator failure injection).
	FailStep    int
	FailMessage string
	// Agent is set once the appliance has checked in over the agent
	// protocol: its migrations then wait for it at the steps it carries out.
	Agent       bool
	LastCheckIn time.Time
}

// Action is what a migration does.
type Action string

// The two migrations.
const (
	Upgrade  Action = "upgrade"
	Rollback Action = "rollback"
)

// Errors of the appliance decisions.
var (
	ErrNotFound    = errors.New("appliance not found")
	ErrInvalid     = errors.New("invalid request")
	ErrNoUpgrade   = errors.New("no upgrade is available")
	ErrNoRollback  = errors.New("no rollback is available")
	ErrBusy        = errors.New("another migration is running on the appliance")
	ErrNoMigration = errors.New("no migration")
	ErrLeaseLost   = errors.New("migration lease lost")
)

// Step is one stage of a migration as the status reports it.
type Step struct {
	State   string
	Message string
	// OnAppliance steps are carried out by the appliance itself: an
	// appliance with an agent must report them done.
	OnAppliance bool
}

// Steps are the stages of each action, in order; the last one is the
// finish, reached with result "success".
var Steps = map[Action][]Step{
	Upgrade: {
		{"start", "starting migration", false},
		{"downloading", "downloading package", false},
		{"handling package", "verifying package", false},
		{"upgrading", "installing package", true},
		{"upgrading", "restarting services", true},
		{"finish", "installation complete", false},
	},
	Rollback: {
		{"start", "starting rollback", false},
		{"rollback", "preparing rollback", false},
		{"rollback", "rollback software", true},
		{"finish", "rollback complete", false},
	},
}
