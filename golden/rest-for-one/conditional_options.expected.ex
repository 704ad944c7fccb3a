defmodule Golden.RestForOne.ConditionalOptions do
  def start_link do
    children = [Golden.RestForOne.ConditionalOptions.Db, Golden.RestForOne.ConditionalOptions.Api]

    opts =
      if Application.get_env(:golden, :env) == :test do
        [strategy: :rest_for_one, max_restarts: 100]
      else
        [strategy: :rest_for_one]
      end

    Supervisor.start_link(children, opts)
  end

  def start_mixed do
    children = [Golden.RestForOne.ConditionalOptions.Db, Golden.RestForOne.ConditionalOptions.Api]
    # one branch is not :one_for_one: left alone
    Supervisor.start_link(children, if(System.get_env("ALL"), do: [strategy: :one_for_all], else: [strategy: :one_for_one]))
  end
end

defmodule Golden.RestForOne.ConditionalOptions.Db do
  def start_link(_), do: Agent.start_link(fn -> %{} end, name: __MODULE__)
  def all, do: Agent.get(__MODULE__, & &1)
end

defmodule Golden.RestForOne.ConditionalOptions.Api do
  def start_link(_), do: Agent.start_link(fn -> Golden.RestForOne.ConditionalOptions.Db.all() end)
end
