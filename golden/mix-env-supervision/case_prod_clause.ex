defmodule Golden.MixEnvSupervision.CaseProdClause do
  def start_link(children) do
    restarts =
      case Mix.env() do
        :dev -> 10
        :prod -> 3
        _ -> 100
      end

    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: restarts)
  end
end
