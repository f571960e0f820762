"""YAML files -> validated data: the safe YAML source, number checks, problem files, answers files."""
