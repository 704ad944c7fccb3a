defmodule Golden.MixEnvSupervision.ChildElement do
  def start_link do
    children = [
      Golden.MixEnvSupervision.ChildElement.Store,
      Golden.MixEnvSupervision.ChildElement.Mailer
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
