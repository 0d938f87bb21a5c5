package workload

import "github.com/rampart-sec/rampart/client/search"

// SearchFilter is the body of SearchAPIKeys and SearchRoles; build its
// criteria with the helpers of package search (search.StringEquals, ...).
type SearchFilter = search.Filter

// SearchCriteria is one test of a SearchFilter.
type SearchCriteria = search.Criteria
