package docs

import (
	"encoding/json"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/workflow"
)

// TestWorkflowExamplesValidate: the three worked examples of
// /docs/workflows are definitions a Pro organization may save.
func TestWorkflowExamplesValidate(t *testing.T) {
	for name, src := range map[string]string{"login": exampleWorkflowLogin, "fanout": exampleWorkflowFanout, "follow-up": exampleWorkflowFollowUp} {
		// The API's shape: headers as an object.
		var in struct {
			Steps []struct {
				prikke.Step
				Headers map[string]string `json:"headers"`
			} `json:"steps"`
		}
		if err := json.Unmarshal([]byte(src), &in); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		def := &prikke.WorkflowDefinition{}
		for _, s := range in.Steps {
			st := s.Step
			for k, v := range s.Headers {
				st.Headers = append(st.Headers, prikke.Header{Name: k, Value: v})
			}
			def.Steps = append(def.Steps, st)
		}
		if err := workflow.Validate(def, prikke.TierPro); err != nil {
			t.Errorf("%s: %v %v", name, err, prikke.ErrorFields(err))
		}
	}
}
