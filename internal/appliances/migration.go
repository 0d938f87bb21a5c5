package appliances

import "time"

// Migration is one upgrade or rollback of one appliance. Its state lives
// in the store and moves by compare-and-swap on Step, so any number of
// runners may look at it and exactly one advances each step.
type Migration struct {
	ID          int64
	ApplianceID int64
	Action      Action
	From, To    string
	Step        int // 1-based, the step reached (persisted before it is reported)
	TotalSteps  int
	State       string
	Result      string // "" while running, then "success" or "fail"
	Message     string
	FailStep    int
	FailMessage string
	StepAt      time.Time // when Step was reached
	Finished    time.Time
	LeaseOwner  string
	LeaseUntil  time.Time
	// Managed is set when the appliance had an agent when the migration
	// started; Awaiting then marks a step the appliance has yet to report.
	Managed  bool
	Awaiting bool
}

// Done reports whether the migration has ended.
func (m Migration) Done() bool { return m.Result != "" }
