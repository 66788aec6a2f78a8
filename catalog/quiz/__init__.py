"""Quiz sessions (练习、考试、每日一练、竞赛、错题重练): grading first; sessions to come."""
