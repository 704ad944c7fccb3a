defmodule Golden.RawSend.LocalSend do
  import Kernel, except: [send: 2]

  # This module's own send/2 (an email client), not Kernel.send/2.
  def send(to, body), do: {:sent, to, body}

  def welcome(user) do
    send(user, {:welcome, self()})

    receive do
      :bounced -> :bounced
    after
      10 -> :ok
    end
  end
end
