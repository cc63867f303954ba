"""Operations: commands that drive the running system (evaluations over the real chat path)."""
