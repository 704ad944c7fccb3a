defmodule Golden.MixEnvSupervision.OptionsConcat do
  def start_link(children) do
    opts = [strategy: :one_for_one] ++ if(Mix.env() == :test, do: [max_restarts: 100], else: [])
    Supervisor.start_link(children, opts)
  end
end
