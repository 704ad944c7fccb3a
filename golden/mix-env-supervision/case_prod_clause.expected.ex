defmodule Golden.MixEnvSupervision.CaseProdClause do
  def start_link(children) do
    restarts =
      3

    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: restarts)
  end
end
