"""Problem + answers -> GradeReport: questions, tolerances, follow-through, diagnoses, class summaries."""
