defmodule Golden.MixEnvSupervision.ChildElement do
  def start_link do
    children = [
      Golden.MixEnvSupervision.ChildElement.Store,
      if(Mix.env() == :test, do: Golden.MixEnvSupervision.ChildElement.FakeMailer, else: Golden.MixEnvSupervision.ChildElement.Mailer)
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
